/** @module The RBAC engine: validate rules once at startup, then map verified claims to Talos roles. */

import { TalosOidcError } from "../../shared/errors.ts";
import { sameIssuer } from "../../shared/issuer.ts";
import { jsonLogger, type Logger, nullLogger } from "../../shared/log.ts";
import { FORBIDDEN_ROLE, IMPERSONATOR_EXPLANATION, isIssuableRole, ISSUABLE_ROLES } from "../../shared/roles.ts";
import { claimValues, LIST_CLAIMS, MAX_CLAIM_PATH_SEGMENTS, resolveClaim } from "./claims.ts";
import { compileMatcher, type MatchMode } from "./match.ts";
import type { RbacDecision, RbacRule, RoleMapper } from "./types.ts";

const RULE_KEYS = new Set(["claim", "value", "roles", "issuer", "match", "split"]);
const MATCH_MODES: readonly MatchMode[] = ["exact", "glob", "regex"];

/** Problems with one list of role names, each prefixed with `where`. */
export function validateRoles(roles: unknown, where: string): string[] {
  if (!Array.isArray(roles)) return [`${where}: must be a list of roles (may be empty)`];
  const problems: string[] = [];
  roles.forEach((r, j) => {
    if (typeof r !== "string") problems.push(`${where}[${j}]: must be a string`);
    else if (r.trim() === FORBIDDEN_ROLE) {
      problems.push(`${where}[${j}]: "${r}" is refused: ${IMPERSONATOR_EXPLANATION}`);
    } else if (!isIssuableRole(r.trim())) {
      problems.push(`${where}[${j}]: unknown role "${r}" (allowed: ${ISSUABLE_ROLES.join(", ")})`);
    }
  });
  return problems;
}

/**
 * Every problem with an `rbac.rules` value, each naming the rule index and field
 * (`rbac.rules[2].match: ...`). Empty when the rules are usable. Never throws.
 */
export function validateRbacRules(rules: unknown): string[] {
  if (rules === undefined || rules === null) return [];
  if (!Array.isArray(rules)) return ["rbac.rules: must be a list of rules"];
  const problems: string[] = [];
  rules.forEach((rule: unknown, i) => {
    const at = `rbac.rules[${i}]`;
    if (typeof rule !== "object" || rule === null || Array.isArray(rule)) {
      problems.push(`${at}: must be a mapping with claim, value and roles`);
      return;
    }
    const r = rule as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (!RULE_KEYS.has(k)) problems.push(`${at}.${k}: unknown field (allowed: ${[...RULE_KEYS].join(", ")})`);
    }
    if (typeof r.claim !== "string" || r.claim.trim() === "") problems.push(`${at}.claim: must be a non-empty string`);
    else if (r.claim.split(".").length > MAX_CLAIM_PATH_SEGMENTS) {
      problems.push(`${at}.claim: more than ${MAX_CLAIM_PATH_SEGMENTS} dotted segments`);
    }
    // YAML reads `value: 42` or `value: true` as a number or boolean; they match the stringified claim.
    const scalar = typeof r.value === "number" ? Number.isFinite(r.value) : typeof r.value === "boolean";
    if (!scalar && (typeof r.value !== "string" || r.value === "")) {
      problems.push(`${at}.value: must be a non-empty string (or a number or boolean)`);
    }
    problems.push(...validateRoles(r.roles, `${at}.roles`));
    if (r.issuer !== undefined && (typeof r.issuer !== "string" || r.issuer === "")) {
      problems.push(`${at}.issuer: must be a non-empty string when set`);
    }
    if (r.split !== undefined && typeof r.split !== "boolean") {
      problems.push(`${at}.split: must be true or false (got ${JSON.stringify(r.split)})`);
    }
    if (r.match !== undefined && !MATCH_MODES.includes(r.match as MatchMode)) {
      problems.push(`${at}.match: must be one of ${MATCH_MODES.join(", ")} (got ${JSON.stringify(r.match)})`);
    } else if (r.match === "regex" && typeof r.value === "string") {
      try {
        compileMatcher(r.value, "regex");
      } catch (err) {
        problems.push(`${at}.value: invalid regex: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  });
  return problems;
}

export interface CompileRbacOptions {
  /** Roles when there are no rules at all, or when rules exist and none matched (`[]` = deny). */
  defaultRoles: string[];
  /** Where DEBUG traces go (default: a JSON logger on stderr when `debug`, else nothing). */
  logger?: Logger;
  /** Log which rule matched each decision, at debug level. Never logs tokens. */
  debug?: boolean;
}

interface CompiledRule {
  index: number;
  claim: string;
  issuer?: string;
  roles: string[];
  /** Split a string claim at spaces: the rule says so, or the claim is `scope`/`scp`. */
  split: boolean;
  test: (candidate: string) => boolean;
}

/**
 * Validate and compile rules into a RoleMapper. The result is the union of the roles of
 * every matching rule (sorted); with no matching rule it is `defaultRoles`. A matching rule
 * with `roles: []` grants nothing. A rule's issuer names the token's up to one trailing slash (shared/issuer.ts).
 * @throws {TalosOidcError} ERR_CONFIG listing every problem (unknown roles, os:impersonator, bad regex).
 */
export function compileRbac(rules: RbacRule[], options: CompileRbacOptions): RoleMapper {
  const problems = [...validateRbacRules(rules), ...validateRoles(options.defaultRoles, "roles")];
  if (problems.length > 0) {
    throw new TalosOidcError("ERR_CONFIG", `invalid RBAC configuration: ${problems.join("; ")}`, {
      hint: 'fix the rbac.rules and roles entries named above; try them with "talosctl-oidc rbac test"',
      fields: { problems },
    });
  }
  const compiled: CompiledRule[] = rules.map((r, index) => ({
    index,
    claim: r.claim.trim(),
    issuer: r.issuer,
    roles: r.roles.map((x) => x.trim()),
    split: r.split ?? LIST_CLAIMS.has(r.claim.trim()),
    test: compileMatcher(String(r.value), r.match ?? "exact"),
  }));
  const defaults = sortRoles(options.defaultRoles.map((x) => x.trim()));
  const log = options.debug ? (options.logger ?? jsonLogger({ level: "debug" })) : nullLogger;

  return Object.freeze({
    map(claims: Record<string, unknown>, issuer: string): RbacDecision {
      if (compiled.length === 0) return { roles: [...defaults], matched: [], claims: [] };
      const granted = new Set<string>();
      const matched: number[] = [];
      const read = new Set<string>();
      const iss = typeof issuer === "string" ? issuer : "";
      for (const rule of compiled) {
        if (rule.issuer !== undefined && !sameIssuer(rule.issuer, iss)) continue;
        read.add(rule.claim);
        const hit = claimValues(safeResolve(claims, rule.claim), rule.split).find(rule.test);
        if (hit === undefined) continue;
        matched.push(rule.index);
        for (const role of rule.roles) granted.add(role);
        log.debug("rbac rule matched", { rule: rule.index, claim: rule.claim, matched_value: hit, roles: rule.roles });
      }
      if (matched.length === 0) {
        log.debug("rbac no rule matched; using default roles", { roles: defaults });
        return { roles: [...defaults], matched, claims: [...read] };
      }
      return { roles: sortRoles(granted), matched, claims: [...read] };
    },
  });
}

function safeResolve(claims: Record<string, unknown>, path: string): unknown {
  return typeof claims === "object" && claims !== null ? resolveClaim(claims, path) : undefined;
}

/** Sorted, de-duplicated, never os:impersonator (validation already refused it; this is belt and braces). */
function sortRoles(roles: Iterable<string>): string[] {
  return [...new Set(roles)].filter((r) => r !== FORBIDDEN_ROLE).sort();
}
