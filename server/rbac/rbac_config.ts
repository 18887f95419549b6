/** @module Read just the RBAC part of a server config file (rbac.rules and roles) for `talosctl-oidc rbac test`. */

import { parse } from "yaml";
import { TalosOidcError } from "../../shared/errors.ts";
import { validateRbacRules, validateRoles } from "./rbac.ts";
import type { RbacRule } from "./types.ts";

export interface RbacConfig {
  rules: RbacRule[];
  /** Static roles: the fallback when no rule matches; `[os:admin]` when both are empty (as the server does). */
  defaultRoles: string[];
}

/**
 * Parse YAML config text and return its RBAC rules and static roles. `rolesEnv` is
 * TALOSCTL_OIDC_ROLES (comma-separated), which overrides the file's `roles` as in `serve`.
 * Numbers and booleans in `value` are accepted as strings, as the server's config parser does.
 * @throws {TalosOidcError} ERR_CONFIG for invalid YAML or any rule problem (all listed).
 */
export function readRbacConfig(text: string, rolesEnv?: string): RbacConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new TalosOidcError("ERR_CONFIG", "parsing config file failed", { cause: err });
  }
  const root = isMapping(doc) ? doc : {};
  const rbac = isMapping(root.rbac) ? root.rbac : {};
  const rawRules = Array.isArray(rbac.rules)
    ? rbac.rules.map((r) =>
      isMapping(r) && (typeof r.value === "number" || typeof r.value === "boolean")
        ? { ...r, value: String(r.value) }
        : r
    )
    : rbac.rules;
  const rawRoles = rolesEnv ? rolesEnv.split(",") : root.roles ?? [];
  const roles = typeof rawRoles === "string" ? rawRoles.split(",") : rawRoles;
  const cleaned = Array.isArray(roles)
    ? roles.map((r) => (typeof r === "string" ? r.trim() : r)).filter((r) => r !== "")
    : roles;
  const problems = [...validateRbacRules(rawRules), ...validateRoles(cleaned, "roles")];
  if (problems.length > 0) {
    throw new TalosOidcError("ERR_CONFIG", `invalid RBAC configuration: ${problems.join("; ")}`, {
      fields: { problems },
    });
  }
  const rules = (rawRules ?? []) as RbacRule[];
  const defaultRoles = cleaned as string[];
  return { rules, defaultRoles: defaultRoles.length === 0 && rules.length === 0 ? ["os:admin"] : defaultRoles };
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
