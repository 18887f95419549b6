/** @module Talos role names: which we may issue, and how they are normalised. */

/** Roles a talosctl-oidc certificate may carry. */
export const ISSUABLE_ROLES = Object.freeze(
  ["os:admin", "os:operator", "os:reader", "os:etcd:backup"] as const,
);
export type Role = typeof ISSUABLE_ROLES[number];

/**
 * Never issued: apid lets the holder of `os:impersonator` claim any role through
 * the `talos-role` gRPC metadata, which would defeat every RBAC rule.
 */
export const FORBIDDEN_ROLE = "os:impersonator";

export const IMPERSONATOR_EXPLANATION =
  "os:impersonator lets its holder claim any role through the talos-role gRPC metadata, so talosctl-oidc never issues it";

/** True when `role` is one we issue. */
export function isIssuableRole(role: string): role is Role {
  return (ISSUABLE_ROLES as readonly string[]).includes(role);
}

/** Trim, drop empties and duplicates, sort (Talos's own order), and drop os:impersonator. */
export function normaliseRoles(roles: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const r of roles) {
    const t = r.trim();
    if (t !== "" && t !== FORBIDDEN_ROLE) out.add(t);
  }
  return [...out].sort();
}
