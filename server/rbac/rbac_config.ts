/** @module Read just the RBAC part of a server config file (rbac.rules and roles) for `talosctl-oidc rbac test`. */

import { parseDocument } from "yaml";
import { TalosOidcError } from "../../shared/errors.ts";
import { CONFIG_KEYS, LEGACY_KEYS } from "../config.ts";
import { checkKeys } from "../config_keys.ts";
import { describeYamlErrors, NO_ROLES_PROBLEM, parseRbac, toMapping } from "../config_values.ts";
import { validateRoles } from "./rbac.ts";
import type { RbacRule } from "./types.ts";

export interface RbacConfig {
  rules: RbacRule[];
  /** Static roles: everyone's when there are no rules, else the fallback when no rule matches. */
  defaultRoles: string[];
  /** What `serve` would warn about in this file (keys of the original tool that no longer apply). */
  warnings: string[];
}

/**
 * Parse YAML config text and return its RBAC rules and static roles. `rolesEnv` is
 * TALOSCTL_OIDC_ROLES (comma-separated), which overrides the file's `roles` as in `serve`.
 * The same checks as `serve` for what decides roles: unknown keys (a typo such as `rbac.rule`),
 * bad rules, unknown roles, and a file that grants no role at all.
 * @throws {TalosOidcError} ERR_CONFIG for invalid YAML or any problem (all listed).
 */
export function readRbacConfig(text: string, rolesEnv?: string): RbacConfig {
  const parsed = parseDocument(text, { prettyErrors: false });
  if (parsed.errors.length > 0) {
    throw new TalosOidcError("ERR_CONFIG", `parsing config file: ${describeYamlErrors(text, parsed)}`);
  }
  const doc: unknown = parsed.toJS();
  const problems: string[] = [], warnings: string[] = [];
  const root = toMapping(doc, "config file", problems);
  checkKeys({ doc: root, env: {}, known: Object.keys(CONFIG_KEYS), legacy: LEGACY_KEYS }, problems, warnings);
  const rules = parseRbac(root.rbac, problems);
  const rawRoles = rolesEnv ? rolesEnv.split(",") : root.roles ?? [];
  const roles = typeof rawRoles === "string" ? rawRoles.split(",") : rawRoles;
  const cleaned = Array.isArray(roles)
    ? roles.map((r) => (typeof r === "string" ? r.trim() : r)).filter((r) => r !== "")
    : roles;
  problems.push(...validateRoles(cleaned, "roles"));
  const rulesBroken = problems.some((p) => p.startsWith("rbac.rules") || p.startsWith("rbac:"));
  if (Array.isArray(cleaned) && cleaned.length === 0 && rules.length === 0 && !rulesBroken) {
    problems.push(`roles: ${NO_ROLES_PROBLEM}`);
  }
  if (problems.length > 0) {
    throw new TalosOidcError("ERR_CONFIG", `invalid RBAC configuration: ${problems.join("; ")}`, {
      hint: 'fix the keys named above; "talosctl-oidc serve" refuses the same file',
      fields: { problems },
    });
  }
  return { rules, defaultRoles: cleaned as string[], warnings };
}
