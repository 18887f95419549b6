/**
 * @module What login records per context for the commands that follow it: the exchange server and its CA file, so
 * `status --check` right after `login --server URL` needs no --server again. `<config dir>/talosctl-oidc/logins/
 * <context>.json` (0600); logout removes it. Not a secret, and never required: a missing or broken one is ignored.
 */

import { join } from "node:path";
import { atomicWrite } from "../../shared/atomic_write.ts";
import { type Env, userConfigDir } from "../paths.ts";

/** What the last successful login for a context talked to. */
export interface LoginRecord {
  server: string;
  /** Absolute path of the --server-ca file, when one was given. */
  server_ca?: string;
}

/** A context name as a file name, or undefined for one that cannot be (it then has no record). */
function recordPath(context: string, env: Env): string | undefined {
  if (!/^[A-Za-z0-9@._+-]{1,128}$/.test(context) || /^\.+$/.test(context)) return undefined;
  return join(userConfigDir(env), "talosctl-oidc", "logins", `${context}.json`);
}

/** Record `record` for `context` (best effort: a failure only costs a later --server). */
export async function writeLoginRecord(context: string, record: LoginRecord, env: Env): Promise<void> {
  const path = recordPath(context, env);
  if (!path) return;
  try {
    await Deno.mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
    await atomicWrite(path, JSON.stringify(record) + "\n", { mode: 0o600 });
  } catch { /* best effort */ }
}

/** The record of `context`, or undefined when there is none (or it is unreadable). */
export async function readLoginRecord(context: string, env: Env): Promise<LoginRecord | undefined> {
  const path = recordPath(context, env);
  if (!path) return undefined;
  try {
    const v = JSON.parse(await Deno.readTextFile(path));
    if (typeof v?.server !== "string") return undefined;
    return { server: v.server, ...(typeof v.server_ca === "string" ? { server_ca: v.server_ca } : {}) };
  } catch {
    return undefined;
  }
}

/** Remove the record of `context`; true when there was one. */
export async function deleteLoginRecord(context: string, env: Env): Promise<boolean> {
  const path = recordPath(context, env);
  return path ? await Deno.remove(path).then(() => true, () => false) : false;
}
