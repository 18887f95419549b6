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

/**
 * The values a rule compares against: a string is itself plus, when it contains whitespace,
 * each whitespace-separated word (OAuth `scope` style); an array contributes each element;
 * numbers and booleans are stringified; an object contributes its own keys (a role map such as
 * Zitadel's `urn:zitadel:iam:org:project:roles`: `{"talos-admin": {...}}`); null and objects
 * nested in arrays are ignored.
 */
export function claimValues(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => (Array.isArray(v) ? [] : scalarValues(v)));
  if (isPlainObject(value)) return Object.keys(value);
  return scalarValues(value);
}

function scalarValues(v: unknown): string[] {
  if (typeof v === "string") {
    const words = v.split(/\s+/).filter(Boolean);
    return words.length > 1 ? [v, ...words] : [v];
  }
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return [String(v)];
  return [];
}
