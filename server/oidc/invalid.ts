/** @module The one way a refused ID token is reported: ERR_INVALID_TOKEN with a stable reason. */

import { TalosOidcError } from "../../shared/errors.ts";
import type { InvalidTokenReason } from "./types.ts";

/**
 * Build the error for a refused token. `detail` is a human sentence that must never quote the token,
 * a key or a signature; claim names and configured values are fine.
 */
export function invalidToken(reason: InvalidTokenReason, detail: string, cause?: unknown): TalosOidcError {
  return new TalosOidcError("ERR_INVALID_TOKEN", "invalid token", { fields: { reason, detail }, cause });
}

/** The reason of an ERR_INVALID_TOKEN error, or undefined for anything else. */
export function invalidTokenReason(err: unknown): InvalidTokenReason | undefined {
  if (!(err instanceof TalosOidcError) || err.code !== "ERR_INVALID_TOKEN") return undefined;
  return err.fields?.reason as InvalidTokenReason | undefined;
}
