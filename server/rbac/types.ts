/** @module Contract of the RBAC engine: claims in, Talos roles out. */

export interface RbacRule {
  /** Claim name or dotted path (`groups`, `realm_access.roles`). */
  claim: string;
  /** Value to match (exact by default). */
  value: string;
  /** Roles granted when the rule matches; may be empty. */
  roles: string[];
  /** Only apply to tokens from this issuer. */
  issuer?: string;
  /** How `value` is compared: exact (default), glob or regex (both anchored). */
  match?: "exact" | "glob" | "regex";
  /**
   * Split a string claim at spaces and match each word (default: true for the top-level `scope` and `scp`
   * claims, false otherwise). Array elements are never split; every value is matched whole.
   */
  split?: boolean;
}

export interface RbacDecision {
  /** Sorted, de-duplicated, never os:impersonator. Empty = deny. */
  roles: string[];
  /** Indexes (into the rule list) of the rules that matched. */
  matched: number[];
  /**
   * The claims (names or dotted paths) the rules that apply to this issuer read, in rule order, de-duplicated.
   * Names only, never the values the rules look for: a refused client may be told which claim to bring.
   */
  claims: string[];
}

export interface RoleMapper {
  /** Map verified token claims to roles. Pure; never throws for odd claim shapes. */
  map(claims: Record<string, unknown>, issuer: string): RbacDecision;
}
