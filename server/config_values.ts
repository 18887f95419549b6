/** @module Pure value checks for the server config: listen address, CIDRs, roles, issuer URL, RBAC rules, did-you-mean. */

import { isLoopbackHost } from "../shared/issuer.ts";
import { isIP } from "node:net";
import { FORBIDDEN_ROLE, IMPERSONATOR_EXPLANATION, isIssuableRole, ISSUABLE_ROLES } from "../shared/roles.ts";
import { validateRbacRules } from "./rbac/rbac.ts";
import type { RbacRule } from "./rbac/types.ts";

/** Why a config that grants no role at all is refused, and how to grant a static role on purpose. */
export const NO_ROLES_PROBLEM = "no roles configured: with neither rbac.rules nor a non-empty roles list nobody " +
  "could be given a role (older versions silently made every user os:admin); map claims to roles with rbac.rules, " +
  "or grant every user of the IdP a static role on purpose: roles: [os:admin]";

/** Decode `rbac:` from the file into rules; rule problems come from the RBAC engine's own validator. */
export function parseRbac(value: unknown, problems: string[]): RbacRule[] {
  if (value === undefined || value === null) return [];
  const rbac = toMapping(value, "rbac", problems);
  for (const k of Object.keys(rbac)) {
    if (k !== "rules") problems.push(`rbac.${k}: unknown key${didYouMean(k, ["rules"])}`);
  }
  const found = validateRbacRules(rbac.rules).map((p) => `${p} (rbac rules are read from the config file only)`);
  problems.push(...found);
  if (found.length > 0 || !Array.isArray(rbac.rules)) return [];
  return rbac.rules.map((r: Record<string, unknown>) => ({
    claim: String(r.claim),
    value: String(r.value),
    roles: (r.roles as unknown[]).map((x) => String(x).trim()),
    ...(typeof r.issuer === "string" ? { issuer: r.issuer } : {}),
    ...(r.match !== undefined ? { match: r.match as RbacRule["match"] } : {}),
    ...(typeof r.split === "boolean" ? { split: r.split } : {}),
  }));
}

/** Report roles we never issue (os:impersonator with the reason, unknown names with the list). */
export function checkRoles(roles: string[], fail: (m: string) => void): void {
  for (const r of roles) {
    if (r === FORBIDDEN_ROLE) fail(`role "${r}" is refused: ${IMPERSONATOR_EXPLANATION}`);
    else if (!isIssuableRole(r)) fail(`role "${r}" cannot be issued: use one of ${ISSUABLE_ROLES.join(", ")}`);
  }
}

/** The issuer must be an https URL (http only for loopback): its JWKS decides who gets a certificate. */
export function checkIssuerUrl(url: string, fail: (m: string) => void): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return fail(`"${url}" is not a URL`);
  }
  const loopback = isLoopbackHost(u.hostname);
  if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback)) {
    fail(`"${url}" must use https (plain http is accepted only for a loopback issuer): its keys sign every token`);
  }
}

/** Split `host:port`, `[v6]:port` or `:port`. Empty host listens on every IPv4 interface. */
export function parseListen(text: string): { hostname: string; port: number } | undefined {
  const m = text.trim().match(/^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):(\d{1,5})$/);
  if (!m || Number(m[3]) > 65535) return undefined;
  return { hostname: m[1] ?? (m[2] || "0.0.0.0"), port: Number(m[3]) };
}

/** True for a bare IPv4/IPv6 address or a CIDR with a valid prefix length. */
export function isIpOrCidr(text: string): boolean {
  const [ip, bits, extra] = text.split("/");
  if (extra !== undefined || !ip) return false;
  const v = isIP(ip);
  if (v === 0) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (v === 4 ? 32 : 128));
}

/** ` did you mean "x"?` for the closest candidate within a small edit distance, else "". */
export function didYouMean(word: string, candidates: string[]): string {
  let best = "", bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 4)) ? `; did you mean "${best}"?` : "";
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The value as a key/value mapping; anything else is a problem and an empty mapping. */
export function toMapping(value: unknown, what: string, problems: string[]): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  problems.push(`${what}: must be a mapping of key: value, got ${describe(value)}`);
  return {};
}

/** A short description of a value's type for messages (never the value of a mapping). */
export function describe(v: unknown): string {
  return Array.isArray(v) ? "a list" : v === null ? "null" : typeof v === "object" ? "a mapping" : `${typeof v} "${v}"`;
}

/**
 * `invalid YAML at line N: <the parser's message>; ...` for a document parsed with `prettyErrors: false`: the
 * parser's words and the line, never a quote of the source (which may hold a secret), as a broken talosconfig is
 * reported (client/talosconfig/read.ts).
 */
export function describeYamlErrors(
  text: string,
  doc: { errors: readonly { pos: [number, number]; message: string }[] },
) {
  const line = (pos: number) => text.slice(0, pos).split("\n").length;
  return `invalid YAML at ${doc.errors.map((e) => `line ${line(e.pos[0])}: ${e.message.split("\n")[0]}`).join("; ")}`;
}

/** `value` when it is one of `allowed`, else a problem naming them and the first one (the default). */
export function oneOf<const T extends string>(value: string, allowed: readonly T[], fail: (m: string) => void): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  return fail(`"${value}" is not one of ${allowed.join(", ")}`), allowed[0]!;
}
