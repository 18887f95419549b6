/** @module At start: read the talos_api credential the config names, refuse one that cannot issue, warn on expiry. */

import { isTalosOidcError } from "../../shared/errors.ts";
import { NO_CREDENTIAL_HINT, SERVICE_ACCOUNT_TALOSCONFIG, type TalosApiConfig } from "../config_issuing.ts";
import { credentialProblems, credentialWarning, parseTalosCredential, type TalosCredential } from "./credential.ts";

export interface LoadedTalosCredential {
  /** The credential (talosconfig mode, no problems). */
  credential?: TalosCredential;
  problems: string[];
  warnings: string[];
}

/**
 * Read and check the talosconfig: the current context's certificate must carry os:admin and be valid now.
 * Without talos_config or TALOSCONFIG, a missing ~/.talos/config falls back to the ServiceAccount's file, as talosctl.
 * Socket mode has nothing to read (machined takes the role from the talos-role metadata).
 */
export async function loadTalosCredential(cfg: TalosApiConfig, now: Date): Promise<LoadedTalosCredential> {
  if (cfg.kind === "socket" || cfg.path === "") return { problems: [], warnings: [] };
  const where = cfg.from.startsWith("the default") ? "talos_config / TALOSCTL_OIDC_TALOS_CONFIG" : cfg.from;
  let path = cfg.path;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    const fallback = cfg.from.startsWith("the default") && err instanceof Deno.errors.NotFound
      ? await Deno.readTextFile(SERVICE_ACCOUNT_TALOSCONFIG).catch(() => undefined)
      : undefined;
    if (fallback === undefined) {
      const why = err instanceof Deno.errors.NotFound ? "does not exist" : `cannot be read (${(err as Error).message})`;
      return {
        problems: [`${where}: the Talos API credential "${path}" (${cfg.from}) ${why}; ${NO_CREDENTIAL_HINT}`],
        warnings: [],
      };
    }
    [path, text] = [SERVICE_ACCOUNT_TALOSCONFIG, fallback];
  }
  let credential: TalosCredential;
  try {
    credential = parseTalosCredential(text, path);
  } catch (err) {
    const hint = isTalosOidcError(err) && err.hint ? `; hint: ${err.hint}` : "";
    return { problems: [`${where}: ${(err as Error).message}${hint}`], warnings: [] };
  }
  const problems = credentialProblems(credential, now).map((p) => `${where}: ${p}`);
  const warning = credentialWarning(credential, now);
  return { ...(problems.length ? {} : { credential }), problems, warnings: warning ? [warning] : [] };
}
