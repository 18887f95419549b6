/** @module Why a fetch() failed, in a few words: connection refused, a DNS failure, a TLS reason (never a body). */

/**
 * The innermost cause of a failed `fetch()`, without Deno's wrapping: `tcp connect error: Connection refused (os
 * error 111)`, `dns error: failed to lookup address information: ...`, `invalid peer certificate: UnknownIssuer`.
 * Deno's own message is only "fetch failed"; the reason is in `cause`.
 */
export function fetchFailureReason(err: unknown): string {
  let cur: unknown = err;
  for (let depth = 0; depth < 8 && cur instanceof Error && cur.cause !== undefined; depth++) cur = cur.cause;
  const message = cur instanceof Error ? cur.message : String(cur);
  return message
    .replace(/^error sending request for url \([^)]*\): /, "")
    .replace(/^client error \([A-Za-z]+\): /, "")
    .trim() || "unknown reason";
}
