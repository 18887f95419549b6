/**
 * @module macOS keychain through `/usr/bin/security` (generic password, service `talosctl-oidc`, account = context).
 *
 * Writing: the command line `add-generic-password -U -s … -a … -X <hex>` is fed to `security -i` on stdin, so the
 * secret is not in any argv (macOS `ps` shows every process's arguments). `security -i` truncates lines longer than
 * 4095 bytes, destroying the item; so a large token set is stored without its access token, then also without its
 * ID token (both come back with the next refresh). Only if even that is too long do we fall back to `-w <secret>` in
 * argv — visible in the process list for the few milliseconds `security` runs (the exposure zalando/go-keyring, and
 * so the original tool, always has). Reading: `find-generic-password -w` prints the secret (hex when it was not printable; decoded here).
 * Untested in CI here (Linux only); the JSON shape is the same on every OS.
 */

import { TalosOidcError } from "../../shared/errors.ts";
import type { Env } from "../paths.ts";
import { KEYCHAIN_NAMES, KEYCHAIN_SERVICE, type KeychainBackend, oneLine } from "./keychain.ts";
import { runProgram } from "./run.ts";

const SECURITY = "/usr/bin/security";
/** `security -i` reads lines of at most 4095 bytes. */
const MAX_INTERACTIVE_LINE = 4000;
/** What the old go-keyring put in front of hex-encoded multi-line secrets. */
const GO_KEYRING_PREFIX = "go-keyring-encoded:";

/** A macOS keychain backend (login keychain, via `security`). */
export function macosKeychain(env: Env, command = SECURITY): KeychainBackend {
  const run = (args: string[], stdin?: string) => runProgram(command, args, { env, stdin });
  const backend: KeychainBackend = {
    name: KEYCHAIN_NAMES.macos,
    async probe() {
      const r = await run(["default-keychain"]);
      return r.code === 0 ? null : `security: ${oneLine(r.stderr) || `exit ${r.code}`}`;
    },
    async get(account) {
      const r = await run(["find-generic-password", "-s", KEYCHAIN_SERVICE, "-a", account, "-w"]);
      if (r.code === 44 || /could not be found/i.test(r.stderr)) return null;
      if (r.code !== 0) throw failure("reading", account, r);
      return decodeStored(r.stdout.replace(/\n$/, ""));
    },
    async set(account, secret) {
      const lineFor = (value: string) =>
        `add-generic-password -U -s ${quote(KEYCHAIN_SERVICE)} -a ${quote(account)} -X ${toHex(value)}\n`;
      // Prefer stdin even at the cost of the (re-obtainable) access and ID tokens; argv only as a last resort.
      const value = shrink(secret).find((v) => lineFor(v).length <= MAX_INTERACTIVE_LINE);
      const r = value !== undefined
        ? await run(["-i"], lineFor(value))
        : await run(["add-generic-password", "-U", "-s", KEYCHAIN_SERVICE, "-a", account, "-w", secret]);
      // `security -i` exits 0 even when its command failed: read back to be sure.
      if (r.code !== 0 || (await backend.get(account)) !== (value ?? secret)) throw failure("storing", account, r);
    },
    async delete(account) {
      const r = await run(["delete-generic-password", "-s", KEYCHAIN_SERVICE, "-a", account]);
      if (r.code === 44 || /could not be found/i.test(r.stderr)) return false;
      if (r.code !== 0) throw failure("deleting", account, r);
      return true;
    },
  };
  return backend;
}

/** The secret, then (for token JSON) without access_token, then also without id_token: refresh_token is what matters. */
export function shrink(secret: string): string[] {
  let token: Record<string, unknown>;
  try {
    token = JSON.parse(secret);
  } catch {
    return [secret];
  }
  if (token === null || typeof token !== "object") return [secret];
  const { access_token: _a, ...noAccess } = token;
  const { id_token: _i, ...noId } = noAccess;
  return [secret, JSON.stringify(noAccess), JSON.stringify(noId)];
}

function toHex(value: string): string {
  return Array.from(new TextEncoder().encode(value), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Undo the encodings `security` and go-keyring may have applied. */
function decodeStored(out: string): string {
  const hex = out.startsWith(GO_KEYRING_PREFIX) ? out.slice(GO_KEYRING_PREFIX.length) : out;
  if (/^([0-9a-f]{2})+$/i.test(hex) && (hex !== out || !out.startsWith("{"))) {
    const bytes = new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    const text = new TextDecoder().decode(bytes);
    if (hex !== out || text.startsWith("{")) return text;
  }
  return out;
}

/** Quote a word for `security -i`'s tokenizer (double quotes; backslash escapes). */
function quote(word: string): string {
  return /^[A-Za-z0-9._:@-]+$/.test(word) ? word : `"${word.replace(/(["\\])/g, "\\$1")}"`;
}

function failure(doing: string, account: string, r: { code: number; stderr: string }): TalosOidcError {
  return new TalosOidcError("ERR_TOKEN_CACHE", `${doing} the token of context "${account}" in the macOS keychain`, {
    cause: new Error(`security exit ${r.code}: ${oneLine(r.stderr)}`),
  });
}
