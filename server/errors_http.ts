/** @module HTTP edges of errors: request ids, and the one place a coded error becomes a JSON response (onError). */

import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorCode, isTalosOidcError, TalosOidcError } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import type { ErrorBody } from "../shared/protocol.ts";

/** Context variables set by requestId(). */
export type RequestIdEnv = { Variables: { requestId: string } };

const REQUEST_ID_HEADER = "X-Request-Id";

/**
 * Give every request a fresh id (UUID) in `c.var.requestId` and the `X-Request-Id` response header.
 * An incoming X-Request-Id is never trusted: it would let a client forge audit correlation.
 */
export function requestId(): MiddlewareHandler<RequestIdEnv> {
  return async function requestId(c, next) {
    const id = crypto.randomUUID();
    c.set("requestId", id);
    await next();
    c.res.headers.set(REQUEST_ID_HEADER, id);
  };
}

/**
 * What a 5xx says, by code (the original tool's texts). A 5xx error's own message may describe internals (a file, a
 * library's words), so it goes only to the log; a 4xx message is written for the client and is sent as is.
 */
const PUBLIC_5XX: Readonly<Partial<Record<ErrorCode, string>>> = Object.freeze({
  ERR_CERT_ISSUE: "failed to generate certificate",
  ERR_DISCOVERY: "identity provider unavailable",
  ERR_TALOS_API: "Talos API unavailable",
  ERR_STATE_STORE: "state store unavailable",
  ERR_AUDIT: "audit log unavailable",
});

/**
 * The JSON error response for `err`: its status from HTTP_STATUS, `{"error": message, "code": "ERR_..."}` (plus
 * `request_id` on a 5xx), and the headers its fields ask for (Retry-After, WWW-Authenticate, Allow).
 */
function errorResponse(c: Context, err: TalosOidcError): Response {
  const status = err.status;
  const error = status >= 500 ? PUBLIC_5XX[err.code] ?? "internal server error" : err.message;
  const body: ErrorBody = { error, code: err.code };
  if (status >= 500) body.request_id = (c.var as { requestId?: string }).requestId;
  if (isTalosOidcError(err, "ERR_NO_ROLES") && err.fields?.claims) body.claims = [...err.fields.claims];
  for (const [name, value] of headersOf(err)) c.header(name, value);
  return c.json(body, status as ContentfulStatusCode);
}

function headersOf(err: TalosOidcError): [string, string][] {
  if (
    isTalosOidcError(err, "ERR_RATE_LIMITED") || isTalosOidcError(err, "ERR_DISCOVERY") ||
    isTalosOidcError(err, "ERR_AUDIT") || isTalosOidcError(err, "ERR_STATE_STORE")
  ) {
    const s = err.fields?.retryAfterSeconds;
    return s === undefined ? [] : [["Retry-After", String(Math.max(1, Math.ceil(s)))]];
  }
  if (isTalosOidcError(err, "ERR_UNAUTHORIZED") && err.fields?.challenge) {
    return [["WWW-Authenticate", err.fields.challenge]];
  }
  if (isTalosOidcError(err, "ERR_METHOD_NOT_ALLOWED") && err.fields?.allow) return [["Allow", err.fields.allow]];
  return [];
}

/** 405 for a known path with the wrong method; `Allow` lists the right ones (RFC 9110 §15.5.6). */
export function methodNotAllowed(...allow: string[]): MiddlewareHandler {
  const header = [...new Set([...allow, ...(allow.includes("GET") ? ["HEAD"] : [])])].join(", ");
  return function methodNotAllowed() {
    throw new TalosOidcError("ERR_METHOD_NOT_ALLOWED", "method not allowed", { fields: { allow: header } });
  };
}

/** 404 for unknown paths. */
export const notFound: NotFoundHandler = (c) => errorResponse(c, new TalosOidcError("ERR_NOT_FOUND", "not found"));

/**
 * Every error a handler or middleware throws ends here. A TalosOidcError answers with its code's status and
 * headers; anything else is a 500. A 500's details go only to the log, under the request id the client also
 * receives; a 503 (the IdP is down) is the IdP's problem and was audited where it happened.
 */
export function onError(logger: Logger): ErrorHandler {
  return (err, c) => {
    const coded = isTalosOidcError(err) ? err : new TalosOidcError("ERR_INTERNAL", "unexpected error", { cause: err });
    if (coded.status === 500) {
      logger.error("request failed", {
        request_id: (c.var as { requestId?: string }).requestId,
        method: c.req.method,
        path: c.req.path,
        error: err,
        ...(err instanceof Error && err.cause ? { cause: err.cause } : {}),
        ...(coded.fields ? { fields: coded.fields } : {}),
      });
    }
    return errorResponse(c, coded);
  };
}
