/** @module Flags several client commands share, defined once so their defaults and env vars never drift apart. */

import type { FlagSpec } from "../shared/cli.ts";

/** `--context-name NAME` (default `oidc`, env TALOSCTL_OIDC_CONTEXT): the talosconfig context and cache entry. */
export function contextNameFlag(description: string): FlagSpec {
  return {
    name: "context-name",
    type: "string",
    default: "oidc",
    env: "TALOSCTL_OIDC_CONTEXT",
    arg: "NAME",
    description,
  };
}

/** `--talosconfig PATH`; the default follows talosctl (client/paths.ts resolveTalosconfigPath). */
export function talosconfigFlag(purpose: string): FlagSpec {
  return {
    name: "talosconfig",
    type: "string",
    arg: "PATH",
    description: `${purpose} (default $TALOSCONFIG, $TALOS_HOME/config or ~/.talos/config)`,
  };
}
