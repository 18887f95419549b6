/** @module What both issuing backends (local_ca, talos_api) check in an IssueRequest before they issue anything. */

import { TalosOidcError } from "../../shared/errors.ts";
import { normaliseRoles } from "../../shared/roles.ts";
import type { IssueRequest } from "./types.ts";

/**
 * The roles to put in the certificate: `req.roles` normalised (sorted, no empties, never os:impersonator).
 * @throws {RangeError} for a lifetime under one second (a programmer error: config refuses it earlier).
 * @throws {TalosOidcError} ERR_NO_ROLES when no issuable role is left.
 */
export function issuableRoles(req: IssueRequest): string[] {
  if (!Number.isFinite(req.ttlMs) || req.ttlMs < 1000) {
    throw new RangeError(`ttlMs must be at least 1000, got ${req.ttlMs}`);
  }
  const roles = normaliseRoles(req.roles);
  if (roles.length === 0) {
    throw new TalosOidcError("ERR_NO_ROLES", "issuing a certificate: no issuable role is left", {
      hint: "a certificate without roles is denied every call; os:impersonator is never issued",
    });
  }
  return roles;
}
