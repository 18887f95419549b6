/**
 * @module Linux/BSD keychain: the freedesktop Secret Service (gnome-keyring, KeePassXC, KWallet ≥ 5.97) through
 * `secret-tool` (libsecret-tools).
 *
 * Items carry the attributes `service=talosctl-oidc` and `username=<context>` — the exact attributes zalando/go-keyring
 * uses, so tokens cached by the original Go tool are found and replaced. The secret goes to `secret-tool store` on
 * stdin and comes back on stdout; it is never in argv.
 */

import { TalosOidcError } from "../../shared/errors.ts";
import type { Env } from "../paths.ts";
import { KEYCHAIN_NAMES, KEYCHAIN_SERVICE, type KeychainBackend, oneLine } from "./keychain.ts";
import { findOnPath, runProgram } from "./run.ts";

/** A Secret Service backend using `secret-tool` from `$PATH` (or `command`). */
export function secretServiceKeychain(env: Env, command?: string): KeychainBackend {
  const attrs = (account: string) => ["service", KEYCHAIN_SERVICE, "username", account];
  let tool: string | null | undefined = command;
  let busEnv: Env | undefined;

  const prepare = async (): Promise<string | null> => {
    tool ??= await findOnPath("secret-tool", env);
    if (!tool) return "secret-tool is not installed (Debian/Ubuntu: apt install libsecret-tools)";
    const bus = await sessionBus(env);
    if (!bus) return "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)";
    // Pin the bus address so secret-tool never autolaunches a stray dbus-daemon.
    busEnv = { ...env, DBUS_SESSION_BUS_ADDRESS: bus };
    return null;
  };
  const run = async (args: string[], stdin?: string) => {
    const why = await prepare();
    if (why) throw new TalosOidcError("ERR_TOKEN_CACHE", `using the Secret Service: ${why}`);
    return await runProgram(tool!, args, { env: busEnv!, stdin });
  };

  return {
    name: KEYCHAIN_NAMES.secretService,
    async probe() {
      const why = await prepare();
      if (why) return why;
      // Not-found is exit 1 with an empty stderr; anything on stderr means no usable Secret Service.
      const r = await runProgram(tool!, ["lookup", ...attrs("__talosctl_oidc_probe__")], {
        env: busEnv!,
        timeoutMs: 15_000,
      });
      if (r.code === 0 || (r.code === 1 && r.stderr.trim() === "")) return null;
      return `secret-tool: ${oneLine(r.stderr) || `exit ${r.code}`}`;
    },
    async get(account) {
      const r = await run(["lookup", ...attrs(account)]);
      if (r.code === 0) return r.stdout;
      if (r.code === 1 && r.stderr.trim() === "") return null;
      throw failure("reading", account, r.stderr, r.code);
    },
    async set(account, secret) {
      const label = `talosctl-oidc tokens for context ${account}`;
      const r = await run(["store", `--label=${label}`, ...attrs(account)], secret);
      if (r.code !== 0) throw failure("storing", account, r.stderr, r.code);
    },
    async delete(account) {
      const had = (await run(["lookup", ...attrs(account)])).code === 0;
      if (!had) return false;
      const r = await run(["clear", ...attrs(account)]);
      if (r.code !== 0 && r.stderr.trim() !== "") throw failure("deleting", account, r.stderr, r.code);
      return true;
    },
  };
}

/** The session bus address: $DBUS_SESSION_BUS_ADDRESS, else systemd's `$XDG_RUNTIME_DIR/bus` if it exists. */
async function sessionBus(env: Env): Promise<string | null> {
  if (env.DBUS_SESSION_BUS_ADDRESS) return env.DBUS_SESSION_BUS_ADDRESS;
  if (!env.XDG_RUNTIME_DIR) return null;
  const path = `${env.XDG_RUNTIME_DIR}/bus`;
  try {
    return (await Deno.stat(path)).isSocket ? `unix:path=${path}` : null;
  } catch {
    return null;
  }
}

function failure(doing: string, account: string, stderr: string, code: number): TalosOidcError {
  return new TalosOidcError("ERR_TOKEN_CACHE", `${doing} the token of context "${account}" in the Secret Service`, {
    cause: new Error(`secret-tool exit ${code}: ${oneLine(stderr)}`),
  });
}
