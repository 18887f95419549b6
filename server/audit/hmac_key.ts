/** @module The audit chain's optional HMAC key: read from a 0600 file of at least 32 bytes, for the server and `audit verify`. */

import { TalosOidcError } from "../../shared/errors.ts";

/** Shortest key accepted: 256 bits, the output size of HMAC-SHA-256 (RFC 2104 §3 recommends at least that). */
const MIN_AUDIT_KEY_BYTES = 32;

/**
 * The key in `path`: the file's bytes without one trailing newline (so `openssl rand -hex 32 > key` works as is).
 * Refused when group or others may read the file (whoever reads the key can rewrite the chain) or when shorter
 * than MIN_AUDIT_KEY_BYTES.
 * @throws {TalosOidcError} ERR_CONFIG saying what to fix.
 */
export async function readAuditKey(path: string): Promise<Uint8Array> {
  const fail = (what: string, hint: string, cause?: unknown) =>
    new TalosOidcError("ERR_CONFIG", `audit HMAC key "${path}": ${what}`, { hint, ...(cause ? { cause } : {}) });
  const create = `create one with: openssl rand -hex 32 > "${path}" && chmod 600 "${path}"`;
  let bytes: Uint8Array;
  try {
    const st = await Deno.stat(path);
    if (st.mode !== null && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
      throw fail(`readable by group or others (mode ${mode})`, `run: chmod 600 "${path}"`);
    }
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof TalosOidcError) throw err;
    throw fail("cannot be read", create, err);
  }
  let end = bytes.length;
  if (bytes[end - 1] === 0x0a) end--;
  if (bytes[end - 1] === 0x0d) end--;
  if (end < MIN_AUDIT_KEY_BYTES) {
    throw fail(`${end} bytes; the key must be at least ${MIN_AUDIT_KEY_BYTES} bytes`, create);
  }
  return bytes.slice(0, end);
}
