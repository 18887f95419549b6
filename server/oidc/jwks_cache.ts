/** @module The issuer's key set: discovery + JWKS, cached, refreshed at most once per cool-down, stale on failure. */

import { TalosOidcError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import { fetchJson } from "./fetch_json.ts";
import { discoveryUrl, sameIssuer } from "../../shared/issuer.ts";
import { urlProblem } from "./issuer_url.ts";
import { importJwks, type JwkEntry } from "./jwks_keys.ts";

export interface JwksCacheOptions {
  issuer: string;
  fetch: typeof fetch;
  now: () => Date;
  logger: Logger;
  /** Least time between two fetches that a request can trigger (unknown kid, stale set). */
  cooldownMs: number;
  /** Age after which the set is fetched again on the next request. */
  maxAgeMs: number;
  timeoutMs: number;
  maxBytes: number;
}

export interface JwksCache {
  /** The key set, refreshed first when older than maxAgeMs; undefined when none could be fetched yet. */
  current(): Promise<readonly JwkEntry[] | undefined>;
  /** Refresh because a kid was not found, unless one ran within the cool-down; the set after it. */
  refreshForUnknownKid(): Promise<readonly JwkEntry[] | undefined>;
  /** Fetch now (joining a fetch in flight); true when that fetch succeeded. */
  refreshNow(): Promise<boolean>;
  loaded(): boolean;
  /** The issuer exactly as the discovery document states it, once fetched (tokens' `iss` must equal it). */
  issuer(): string | undefined;
}

/** Build the cache; nothing is fetched until asked. */
export function createJwksCache(o: JwksCacheOptions): JwksCache {
  let keys: readonly JwkEntry[] | undefined;
  let stated: string | undefined;
  let loadedAt = 0;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<boolean> | undefined;
  const now = () => o.now().getTime();

  /** A fetch may start when none ran within the gap; a clock that went backwards also allows one. */
  const mayAttempt = () => {
    const elapsed = now() - lastAttempt;
    // Before the first success, retry sooner so a slow-starting IdP does not lock users out for a whole cool-down.
    const gap = keys === undefined ? Math.min(o.cooldownMs, 1000) : o.cooldownMs;
    return elapsed >= gap || elapsed < 0;
  };

  const refresh = (): Promise<boolean> => {
    if (inFlight) return inFlight;
    lastAttempt = now();
    const run = load(o).then((fresh) => {
      keys = fresh.keys;
      stated = fresh.issuer;
      loadedAt = now();
      return true;
    }, (err: unknown) => {
      const error = err instanceof Error ? err.message : String(err);
      if (keys) {
        o.logger.warn("refreshing the issuer JWKS failed; using the previous key set", { error, issuer: o.issuer });
      } else o.logger.error("fetching the issuer JWKS failed", { error, issuer: o.issuer });
      return false;
    }).finally(() => {
      inFlight = undefined;
    });
    inFlight = run;
    return run;
  };

  return {
    async current() {
      if (keys === undefined) {
        if (inFlight) await inFlight;
        else if (mayAttempt()) await refresh();
        return keys;
      }
      // With keys in hand nobody waits on someone else's fetch; only the request that notices the set is
      // stale pays for the periodic refresh (bounded by the fetch timeout), and a failure keeps the old set.
      const age = now() - loadedAt;
      if (!inFlight && (age >= o.maxAgeMs || age < 0) && mayAttempt()) await refresh();
      return keys;
    },
    async refreshForUnknownKid() {
      if (inFlight) await inFlight;
      else if (mayAttempt()) await refresh();
      return keys;
    },
    refreshNow: () => refresh(),
    loaded: () => keys !== undefined,
    issuer: () => stated,
  };
}

/**
 * Discovery (the stated issuer must be the configured one, up to one trailing slash: shared/issuer.ts), then the
 * JWKS it names, then key import.
 */
async function load(o: JwksCacheOptions): Promise<{ issuer: string; keys: readonly JwkEntry[] }> {
  const fetchOptions = { fetch: o.fetch, timeoutMs: o.timeoutMs, maxBytes: o.maxBytes };
  const doc = await fetchJson(discoveryUrl(o.issuer), fetchOptions) as Record<string, unknown> | null;
  const fail = (what: string) => new TalosOidcError("ERR_DISCOVERY", `discovering issuer "${o.issuer}": ${what}`);
  if (typeof doc !== "object" || doc === null) throw fail("the discovery document is not a JSON object");
  if (typeof doc.issuer !== "string" || !sameIssuer(o.issuer, doc.issuer)) {
    throw fail(`the discovery document names issuer ${JSON.stringify(doc.issuer)}`);
  }
  const jwksUri = doc.jwks_uri;
  if (typeof jwksUri !== "string") throw fail("the discovery document has no jwks_uri");
  const problem = urlProblem(jwksUri);
  if (problem) throw fail(`jwks_uri "${jwksUri}" is refused: ${problem}`);
  const entries = await importJwks(await fetchJson(jwksUri, fetchOptions)).catch((err) => {
    throw err instanceof TypeError ? fail(err.message) : err;
  });
  if (entries.length === 0) throw fail("the JWKS holds no keys");
  const unusable = entries.filter((e) => e.unusable);
  for (const e of unusable) {
    o.logger.warn("ignoring an issuer JWKS key", { issuer: o.issuer, kid: String(e.kid), why: e.unusable });
  }
  o.logger.info("loaded the issuer JWKS", { issuer: doc.issuer, keys: entries.length, unusable: unusable.length });
  return { issuer: doc.issuer, keys: entries };
}
