/** @module HTTP edges of errors: request ids, JSON error bodies with stable codes, 404/405/500 handlers. */

import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorCode, isTalosOidcError, type TalosOidcError } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import type { ErrorBody } from "../shared/protocol.ts";

/** Context variables set by requestId(). */
export type RequestIdEnv = { Variables: { requestId: string } };

export const REQUEST_ID_HEADER = "X-Request-Id";

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

/** The JSON error response: `{"error": message, "code": "ERR_..."}`, plus `request_id` on 5xx. */
export function errorJson(c: Context, status: number, error: string, code: ErrorCode): Response {
  const body: ErrorBody = { error, code };
  if (status >= 500) body.request_id = (c.var as { requestId?: string }).requestId;
  return c.json(body, status as ContentfulStatusCode);
}

/** Answer with a TalosOidcError's status (HTTP_STATUS table), message and code. */
export function talosErrorResponse(c: Context, err: TalosOidcError): Response {
  return errorJson(c, err.status, err.message, err.code);
}

/** 405 for a known path with the wrong method; `Allow` lists the right ones (RFC 9110 §15.5.6). */
export function methodNotAllowed(...allow: string[]): MiddlewareHandler {
  const header = [...new Set([...allow, ...(allow.includes("GET") ? ["HEAD"] : [])])].join(", ");
  return function methodNotAllowed(c) {
    c.header("Allow", header);
    return Promise.resolve(errorJson(c, 405, "method not allowed", "ERR_METHOD_NOT_ALLOWED"));
  };
}

/** 404 for unknown paths. */
export const notFound: NotFoundHandler = (c) => errorJson(c, 404, "not found", "ERR_NOT_FOUND");

/**
 * Last resort: a TalosOidcError keeps its status and message; anything else is a 500 whose
 * details go only to the log, under the request id the client also receives.
 */
export function onError(logger: Logger): ErrorHandler {
  return (err, c) => {
    const requestId = (c.var as { requestId?: string }).requestId;
    if (isTalosOidcError(err) && err.status < 500) return talosErrorResponse(c, err);
    logger.error("request failed", {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      error: err,
      ...(err instanceof Error && err.cause ? { cause: err.cause } : {}),
      ...(isTalosOidcError(err) && err.fields ? { fields: err.fields } : {}),
    });
    return errorJson(c, 500, "internal server error", isTalosOidcError(err) ? err.code : "ERR_INTERNAL");
  };
}
