/** @module Which keys of the server config are known: unknown file keys are refused, unknown env vars warned about. */

import { didYouMean } from "./config_values.ts";

export interface KeySources {
  /** The decoded file (a mapping). */
  doc: Record<string, unknown>;
  env: Readonly<Record<string, string | undefined>>;
  /** Every scalar/list key (`rbac` is added here: it is file-only). */
  known: readonly string[];
  /** Keys of the original tool that no longer apply, with the reason. */
  legacy: Readonly<Record<string, string>>;
}

/**
 * An unknown file key is a problem (with a did-you-mean), so a typo never silently drops a setting such as the
 * RBAC rules; a key of the original tool that no longer applies is a warning (configs migrate as they are).
 * Environment variables stay warnings: the client's own TALOSCTL_OIDC_* variables may share the environment.
 */
export function checkKeys(s: KeySources, problems: string[], warnings: string[]): void {
  const fileKeys = [...s.known, "rbac"];
  for (const k of Object.keys(s.doc)) {
    if (fileKeys.includes(k)) continue;
    if (Object.hasOwn(s.legacy, k)) warnings.push(`config file key "${k}" is ignored: ${s.legacy[k]}`);
    else problems.push(`config file key "${k}" is unknown${didYouMean(k, fileKeys)}`);
  }
  const envNames = s.known.map((k) => `TALOSCTL_OIDC_${k.toUpperCase()}`);
  for (const name of Object.keys(s.env)) {
    if (!name.startsWith("TALOSCTL_OIDC_") || name === "TALOSCTL_OIDC_CONFIG" || !s.env[name]) continue;
    const k = name.slice("TALOSCTL_OIDC_".length).toLowerCase();
    if (Object.hasOwn(s.legacy, k)) warnings.push(`${k} / ${name} is ignored: ${s.legacy[k]}`);
    else if (!s.known.includes(k)) {
      warnings.push(`unknown environment variable ${name} (ignored)${didYouMean(name, envNames)}`);
    }
  }
}
