/** @module The one way a refused ID token is reported: ERR_INVALID_TOKEN with a stable reason. */

import { type ErrorFieldMap, isTalosOidcError, TalosOidcError } from "../../shared/errors.ts";
import type { InvalidTokenReason } from "./types.ts";

declare module "../../shared/errors.ts" {
  interface ErrorFieldMap {
    /** Why the token was refused (audit `reason`, metrics label) and a sentence for the audit log (never the token). */
    ERR_INVALID_TOKEN: { readonly reason: InvalidTokenReason; readonly detail: string };
  }
}

/** A refused token as the verifier reports it: always with its reason. */
export type InvalidTokenError = TalosOidcError<"ERR_INVALID_TOKEN"> & { fields: ErrorFieldMap["ERR_INVALID_TOKEN"] };

/**
 * Build the error for a refused token. `detail` is a human sentence that must never quote the token,
 * a key or a signature; claim names and configured values are fine.
 */
export function invalidToken(reason: InvalidTokenReason, detail: string, cause?: unknown): InvalidTokenError {
  return new TalosOidcError("ERR_INVALID_TOKEN", "invalid token", {
    fields: { reason, detail },
    cause,
  }) as InvalidTokenError;
}

/** True for a token refused by the verifier (built by invalidToken(), so it carries a reason). */
export function isInvalidToken(err: unknown): err is InvalidTokenError {
  return isTalosOidcError(err, "ERR_INVALID_TOKEN") && err.fields !== undefined;
}

/** The reason of an ERR_INVALID_TOKEN error, or undefined for anything else. */
export function invalidTokenReason(err: unknown): InvalidTokenReason | undefined {
  return isInvalidToken(err) ? err.fields.reason : undefined;
}
