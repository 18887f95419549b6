/** @module Find a claim by name or dotted path in verified token claims, and list its comparable string values. */

/** Paths longer than this are refused at config time; it also bounds the lookup below. */
export const MAX_CLAIM_PATH_SEGMENTS = 16;

/**
 * Look up `path` in `claims`.
 *
 * Precedence, at every level: a key spelled exactly like the rest of the path wins
 * (so `https://example.com/groups` or a literal `realm_access.roles` key is found as is);
 * otherwise the path is split at a dot, longest existing key prefix first, and the walk
 * continues inside that object. Only own properties are read, never the prototype chain.
 * Returns undefined when nothing is found.
 */
export function resolveClaim(claims: Record<string, unknown>, path: string): unknown {
  return walk(claims, path, 0);
}

function walk(obj: Record<string, unknown>, path: string, depth: number): unknown {
  if (Object.hasOwn(obj, path)) return obj[path];
  if (depth >= MAX_CLAIM_PATH_SEGMENTS) return undefined;
  for (let i = path.lastIndexOf("."); i > 0; i = path.lastIndexOf(".", i - 1)) {
    const head = path.slice(0, i);
    if (!Object.hasOwn(obj, head)) continue;
    const next = obj[head];
    if (!isPlainObject(next)) continue;
    const found = walk(next, path.slice(i + 1), depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Top-level claims that are space-separated lists by definition (RFC 6749 §3.3, RFC 8693 §4.2, RFC 9068 §2.2.3). */
export const LIST_CLAIMS: ReadonlySet<string> = new Set(["scope", "scp"]);

/**
 * The values a rule compares against, each compared whole. An array contributes each element as it is
 * (never split: a group named `"x talos-admins"` is one group, not two); a string is itself, or with
 * `split` its words separated by U+0020 spaces (OAuth `scope` style; other whitespace never separates);
 * numbers and booleans are stringified; an object contributes its own keys (a role map such as Zitadel's
 * `urn:zitadel:iam:org:project:roles`: `{"talos-admin": {...}}`); null and objects nested in arrays are
 * ignored.
 */
export function claimValues(value: unknown, split = false): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => (Array.isArray(v) ? [] : scalarValues(v, false)));
  if (isPlainObject(value)) return Object.keys(value);
  return scalarValues(value, split);
}

function scalarValues(v: unknown, split: boolean): string[] {
  if (typeof v === "string") return split ? v.split(" ").filter(Boolean) : [v];
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return [String(v)];
  return [];
}
