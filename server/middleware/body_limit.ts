/**
 * @module Per-route request body limits, checked before anything reads the body: a declared body over the route's
 * limit, or any body on a route that takes none, is refused unread (413), and a streamed one is cut off at the limit.
 */

import type { MiddlewareHandler } from "hono";
import { TalosOidcError } from "../../shared/errors.ts";

export interface BodyLimitOptions {
  /** Bytes each path may receive (exact path). Every other path takes no body at all. */
  limits: Readonly<Record<string, number>>;
}

/** The 413 every oversized or refused body gets (the original tool's words). */
export function bodyTooLarge(): TalosOidcError<"ERR_BODY_TOO_LARGE"> {
  return new TalosOidcError("ERR_BODY_TOO_LARGE", "request body too large or unreadable");
}

/**
 * True when a request head must be refused before its body is read: a declared length over `limit` (or not a plain
 * number), or a body of undeclared length (chunked) where the limit is 0. `contentLength` is the header, or null.
 */
export function bodyRefused(limit: number, contentLength: string | null, chunked: boolean): boolean {
  if (chunked || contentLength === null) return limit === 0;
  return contentLength !== "0" && !(/^\d{1,10}$/.test(contentLength) && Number(contentLength) <= limit);
}

/**
 * Mount after the guards that need no body (allowlist, rate limit) and before the routes. A Content-Length over the
 * path's limit (or any body where the limit is 0) throws ERR_BODY_TOO_LARGE without reading a byte; a chunked body
 * is passed on as a stream that fails past the limit, so the route's own read ends in a 413.
 * @throws {RangeError} when built with a negative or fractional limit.
 */
export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler {
  const limits = new Map(Object.entries(options.limits));
  for (const [path, max] of limits) {
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`body limit for "${path}" must be bytes >= 0`);
  }
  return async function bodyLimit(c, next) {
    const max = limits.get(c.req.path) ?? 0;
    const headers = c.req.raw.headers;
    const length = headers.get("content-length");
    const chunked = headers.has("transfer-encoding");
    // No declared size (chunked, or a body built in-process): only a body actually there counts.
    const body = chunked || length === null ? c.req.raw.body : null;
    if ((body || length !== null) && bodyRefused(max, length, chunked)) throw bodyTooLarge();
    if (body) c.req.raw = new Request(c.req.raw, { body: body.pipeThrough(cutOffAt(max)) });
    await next();
  };
}

/** Passes chunks through until more than `max` bytes went by, then fails the stream. */
function cutOffAt(max: number): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > max) throw bodyTooLarge();
      controller.enqueue(chunk);
    },
  });
}
