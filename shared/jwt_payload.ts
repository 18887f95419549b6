/**
 * @module A JWT's claims read WITHOUT verifying anything: only to decide what to do next (is the cached token worth
 * sending, which user did it name, what would RBAC say), never to trust. Verification lives in server/oidc/ (the
 * exchange) and client/oidc/id_token.ts (before sending).
 */

/**
 * The payload of a compact JWS (RFC 7515 §7.1), unverified.
 * @throws {SyntaxError} when `jwt` is not three base64url segments or its payload is not a JSON object; the message
 * says which, and never quotes the token.
 */
export function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const parts = jwt.trim().split(".");
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1]!)) {
    throw new SyntaxError("the token is not three base64url segments");
  }
  let payload: unknown;
  try {
    payload = JSON.parse(utf8(base64url(parts[1]!)));
  } catch {
    throw new SyntaxError("the token payload is not UTF-8 JSON");
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new SyntaxError("the token payload is not a JSON object");
  }
  return payload as Record<string, unknown>;
}

/**
 * Bytes of a base64url segment, read as node's Buffer reads it (a lone trailing character carries no whole byte and
 * is ignored). Not node:buffer: importing it starts Deno's node compatibility layer on every `kube token` run.
 */
function base64url(segment: string): Uint8Array {
  return Uint8Array.fromBase64(segment.length % 4 === 1 ? segment.slice(0, -1) : segment, { alphabet: "base64url" });
}

/**
 * The UTF-8 text of `bytes`; malformed UTF-8 throws (TextDecoder `fatal`). ASCII, which a JWT payload nearly always
 * is, is read without TextDecoder: its first use loads runtime code, ~0.25 ms of every `kube token` run.
 */
function utf8(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    text += String.fromCharCode(bytes[i]!);
  }
  return text;
}

/** The payload of `jwt`, unverified, or undefined when there is none or it does not decode (see decodeJwtPayload). */
export function jwtPayloadOrUndefined(jwt: string | undefined): Record<string, unknown> | undefined {
  try {
    return jwt === undefined ? undefined : decodeJwtPayload(jwt);
  } catch {
    return undefined;
  }
}

/** The `exp` of `jwt`, unverified; undefined when absent, not a number, or the token does not decode. */
export function jwtExpiry(jwt: string | undefined): Date | undefined {
  const exp = jwtPayloadOrUndefined(jwt)?.exp;
  return typeof exp === "number" ? new Date(exp * 1000) : undefined;
}
