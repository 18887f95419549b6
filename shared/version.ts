/** @module Build information, injected at build time by scripts/build_info.ts. */

import { BUILD } from "./build_info.ts";

export interface BuildInfo {
  version: string;
  commit: string;
  date: string;
}

/** Version, commit and build date; `dev` / `unknown` in a source checkout. */
function buildInfo(): BuildInfo {
  return { ...BUILD };
}

/** The three lines `talosctl-oidc version` prints (same layout as the original tool). */
export function formatVersion(info: BuildInfo = buildInfo()): string {
  return `talosctl-oidc ${info.version}\n  commit: ${info.commit}\n  built:  ${info.date}\n`;
}
