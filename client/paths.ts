/** @module Where the talosconfig and the token file live, resolved from flags and the env the command received. */

import { isAbsolute, join } from "../shared/path.ts";
import { TalosOidcError } from "../shared/errors.ts";

/** The environment as commands receive it (`CommandContext.env`). */
export type Env = Readonly<Record<string, string | undefined>>;
/** Operating system names as in `Deno.build.os`. */
export type Os = typeof Deno.build.os;

/** Non-empty value of an env var, else undefined. */
function nonEmpty(env: Env, name: string): string | undefined {
  const v = env[name];
  return v !== undefined && v !== "" ? v : undefined;
}

/**
 * The user's home directory: `$HOME` (`%USERPROFILE%` first on Windows).
 * @throws {TalosOidcError} ERR_CONFIG when neither is set.
 */
export function homeDir(env: Env, os: Os = Deno.build.os): string {
  const home = os === "windows"
    ? nonEmpty(env, "USERPROFILE") ?? nonEmpty(env, "HOME")
    : nonEmpty(env, "HOME") ?? nonEmpty(env, "USERPROFILE");
  if (home === undefined) {
    throw new TalosOidcError("ERR_CONFIG", "finding the home directory: $HOME is not set", {
      hint: "set HOME, or pass --talosconfig with an absolute path",
    });
  }
  return home;
}

/** Expand a leading `~` or `~/` (also `~\` on Windows) to the home directory; other paths are returned as is. */
export function expandHome(path: string, env: Env, os: Os = Deno.build.os): string {
  if (path === "~") return homeDir(env, os);
  if (path.startsWith("~/") || (os === "windows" && path.startsWith("~\\"))) {
    return join(homeDir(env, os), path.slice(2));
  }
  return path;
}

/**
 * The talosconfig path, in talosctl's order: `--talosconfig`, then `$TALOSCONFIG`, then `$TALOS_HOME/config`
 * (only when TALOS_HOME is absolute, as talosctl does), then `~/.talos/config`. `~` is expanded everywhere.
 * The read-only in-cluster path `/var/run/secrets/talos.dev/config` is deliberately not used: we write.
 */
export function resolveTalosconfigPath(flag: string | undefined, env: Env, os: Os = Deno.build.os): string {
  if (flag !== undefined && flag !== "") return expandHome(flag, env, os);
  const fromEnv = nonEmpty(env, "TALOSCONFIG");
  if (fromEnv !== undefined) return expandHome(fromEnv, env, os);
  const talosHome = nonEmpty(env, "TALOS_HOME");
  if (talosHome !== undefined && isAbsolute(talosHome)) return join(talosHome, "config");
  return join(homeDir(env, os), ".talos", "config");
}

/**
 * The per-user config directory, like Go's `os.UserConfigDir` (the original tool used it):
 * Linux and other Unixes `$XDG_CONFIG_HOME` (absolute only) or `~/.config`; macOS `~/Library/Application Support`;
 * Windows `%APPDATA%` (falling back to `~/.config` like the original tool when it is unset).
 */
export function userConfigDir(env: Env, os: Os = Deno.build.os): string {
  if (os === "windows") return nonEmpty(env, "APPDATA") ?? join(homeDir(env, os), ".config");
  if (os === "darwin") return join(homeDir(env, os), "Library", "Application Support");
  const xdg = nonEmpty(env, "XDG_CONFIG_HOME");
  if (xdg !== undefined && isAbsolute(xdg)) return xdg;
  return join(homeDir(env, os), ".config");
}

/** The token cache file: `<userConfigDir>/talosctl-oidc/tokens.json` (the original tool's path). */
export function tokenCachePath(env: Env, os: Os = Deno.build.os): string {
  return join(userConfigDir(env, os), "talosctl-oidc", "tokens.json");
}
