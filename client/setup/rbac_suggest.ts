/** @module Suggest `rbac.rules` for the exchange server from the claims of a real ID token (what RBAC will see). */

/** One suggested rule; `roles` empty = we could not guess, the user must choose. */
export interface SuggestedRule {
  claim: string;
  value: string;
  roles: string[];
}

/** Claims that usually carry group or role membership, in the order we look at them. */
const GROUP_CLAIMS = ["groups", "roles", "realm_access.roles", "cognito:groups", "urn:zitadel:iam:org:project:roles"];
/** Keycloak adds these to every user; they say nothing about Talos access. */
const NOISE = /^(offline_access|uma_authorization|default-roles-.*)$/;

/** Read a claim by name or one-level dotted path (as the server's RBAC does for these claims). */
function lookup(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  const dot = path.indexOf(".");
  if (dot < 0) return undefined;
  const head = claims[path.slice(0, dot)];
  return head && typeof head === "object" && !Array.isArray(head)
    ? (head as Record<string, unknown>)[path.slice(dot + 1)]
    : undefined;
}

/** A role for a group name, by its words; undefined when nothing fits. */
function guessRole(name: string): string | undefined {
  if (/admin|owner|root|ops\b|sre/i.test(name)) return "os:admin";
  if (/operat/i.test(name)) return "os:operator";
  if (/read|view|audit|monitor|dev/i.test(name)) return "os:reader";
  if (/backup/i.test(name)) return "os:etcd:backup";
  return undefined;
}

/** Rules for every group-like value in the claims; with none, rules on the verified email (and `hd`). */
export function suggestRules(claims: Record<string, unknown>): { rules: SuggestedRule[]; notes: string[] } {
  const rules: SuggestedRule[] = [];
  const notes: string[] = [];
  for (const claim of [...GROUP_CLAIMS, ...resourceAccessClaims(claims)]) {
    const v = lookup(claims, claim);
    let values: string[] = [];
    if (Array.isArray(v)) values = v.filter((x): x is string => typeof x === "string");
    else if (typeof v === "string") values = [v];
    else if (v && typeof v === "object") {
      notes.push(`"${claim}" is an object (its keys are ${Object.keys(v).join(", ")}); see docs/providers/zitadel.md`);
      continue;
    }
    for (const value of values.filter((x) => !NOISE.test(x))) {
      const role = guessRole(value);
      rules.push({ claim, value, roles: role ? [role] : [] });
    }
  }
  if (rules.length === 0) {
    notes.push("no group or role claim in the ID token: the rules below name you personally");
    if (typeof claims.hd === "string") rules.push({ claim: "hd", value: claims.hd, roles: ["os:reader"] });
    // Only an email the IdP vouches for (the boolean true), as the server's certificate CN rule.
    if (typeof claims.email === "string" && claims.email_verified === true) {
      rules.push({ claim: "email", value: claims.email, roles: ["os:admin"] });
    } else if (typeof claims.sub === "string") rules.push({ claim: "sub", value: claims.sub, roles: ["os:admin"] });
  }
  return { rules, notes };
}

function resourceAccessClaims(claims: Record<string, unknown>): string[] {
  const ra = claims.resource_access;
  if (!ra || typeof ra !== "object" || Array.isArray(ra)) return [];
  return Object.keys(ra).filter((k) => !k.includes(".") && k !== "account").map((k) => `resource_access.${k}.roles`);
}

function yamlScalar(s: string): string {
  const plain = /^[A-Za-z0-9_][A-Za-z0-9_.@\/:-]*$/.test(s) && !/: |:$/.test(s) &&
    !/^(true|false|null|yes|no|on|off|~|[\d.]+)$/i.test(s);
  return plain ? s : JSON.stringify(s);
}

/** The server config snippet: issuer and client, `roles: []` (deny unless a rule matches), one line per rule. */
export function formatRbacYaml(rules: SuggestedRule[], idp?: { issuer: string; clientId: string }): string {
  const lines = idp ? [`issuer_url: ${yamlScalar(idp.issuer)}`, `client_id: ${yamlScalar(idp.clientId)}`] : [];
  lines.push("roles: []          # nobody gets anything unless a rule below matches", "rbac:", "  rules:");
  for (const r of rules) {
    const rule = `- { claim: ${yamlScalar(r.claim)}, value: ${yamlScalar(r.value)}, roles: [${r.roles.join(", ")}] }`;
    lines.push(
      r.roles.length
        ? `    ${rule}`
        : `    # ${rule.replace("roles: []", "roles: [os:reader]")}   # choose the roles for this group`,
    );
  }
  return lines.join("\n") + "\n";
}
