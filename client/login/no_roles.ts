/**
 * @module The way out of "403 no roles assigned": which claim the server's rules read (its 403 names them), whether
 * this user's own ID token carries it, and the two ways out: ask for the scope that carries it, or sign in as
 * another account (`login --force`).
 */

import { isTalosOidcError, TalosOidcError } from "../../shared/errors.ts";

/** What the hint is built from: the refusal, and the ID token that was refused (the user's own claims). */
export interface NoRolesContext {
  /** The exchange server's origin, for "ask its administrator". */
  server: string;
  /** The signed-in user as shown elsewhere (email, preferred_username or sub). */
  user: string;
  /** The refused ID token's claims. */
  claims: Readonly<Record<string, unknown>>;
  /** The scopes login asked for. */
  scopes: readonly string[];
}

/** True for the exchange server's "no roles assigned" refusal (its code, not its status). */
export function isNoRolesRefusal(err: unknown): err is TalosOidcError<"ERR_EXCHANGE"> {
  return isTalosOidcError(err, "ERR_EXCHANGE") && err.fields?.serverCode === "ERR_NO_ROLES";
}

/** The same refusal with a hint that names the claim, whether the token had it, and the ways out. */
export function explainNoRoles(err: TalosOidcError<"ERR_EXCHANGE">, c: NoRolesContext): TalosOidcError {
  return new TalosOidcError("ERR_EXCHANGE", err.message, {
    hint: noRolesHint(err.fields?.claims, c),
    ...(err.fields ? { fields: err.fields } : {}),
  });
}

/** The hint text; `read` is undefined when the server did not say which claims its rules read (older servers). */
export function noRolesHint(read: readonly string[] | undefined, c: NoRolesContext): string {
  const admin = `ask the administrator of ${c.server} to grant you a Talos role`;
  const force = "talosctl-oidc login ... --force";
  if (read !== undefined && read.length === 0) {
    return `the server has no RBAC rule for tokens of your IdP: ${admin}`;
  }
  if (read === undefined) {
    const names = Object.keys(c.claims).filter((k) => !STANDARD.has(k)).sort();
    return [
      `the server did not say which claims its rules read; your ID token (${c.user}) carries ` +
      `${names.length > 0 ? names.map((n) => `"${n}"`).join(", ") : "no claims beyond the standard ones"}. Ways out:`,
      `  - if the rules read a claim your token lacks (often "groups"), ask for the scope that carries it: ` +
      `${force} --scopes ${[...c.scopes, "groups"].join(",")}`,
      `  - sign in as another account: ${force}`,
      `  - or ${admin}`,
    ].join("\n");
  }
  const missing = read.filter((path) => claimAt(c.claims, path) === undefined);
  const quoted = (xs: readonly string[]) => xs.map((x) => `"${x}"`).join(", ");
  if (missing.length > 0) {
    const scopeLike = missing.filter((m) => /^[A-Za-z0-9_:-]+$/.test(m) && !c.scopes.includes(m));
    const scopes = scopeLike.length > 0
      ? `${force} --scopes ${[...c.scopes, ...scopeLike].join(",")}`
      : `${force} --scopes ... (the IdP's documentation names it; docs/troubleshooting.md lists common ones)`;
    return [
      `the server's rules read ${plural(read, "the claim")} ${quoted(read)}, and your ID token (${c.user}) has no ` +
      `${quoted(missing)}. Two ways out:`,
      `  - ask the IdP for the scope that carries it: ${scopes}`,
      `  - or sign in as another account: ${force}`,
      `If your account should have it, ${admin}.`,
    ].join("\n");
  }
  const values = read.map((path) => `"${path}": ${describeValue(claimAt(c.claims, path))}`).join(", ");
  return [
    `the server's rules read ${plural(read, "the claim")} ${quoted(read)}; your ID token (${c.user}) has ${values}, ` +
    `which no rule grants a role. Two ways out:`,
    `  - sign in as another account: ${force}`,
    `  - or, if a scope brings more of these values at your IdP, ask for it: ${force} --scopes ...`,
    `Otherwise ${admin}.`,
  ].join("\n");
}

/** Claims every ID token has: not what RBAC rules usually read. */
const STANDARD = new Set(["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash", "c_hash", "sid"]);

function plural(xs: readonly string[], word: string): string {
  return xs.length === 1 ? word : `${word}s`;
}

/** A claim by name, else by dotted path through nested objects (`realm_access.roles`). */
function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let cur: unknown = claims;
  for (const part of path.split(".")) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** The user's own claim value, shortened for one line. */
function describeValue(v: unknown): string {
  const list = Array.isArray(v) ? (v.length > 5 ? [...v.slice(0, 5), "…"] : v) : v;
  const text = JSON.stringify(list) ?? String(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
