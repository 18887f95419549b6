/**
 * @module The issuer's key set: discovery + JWKS, cached, refreshed in the background when old, on an unknown kid at
 * most once per cool-down; the old set keeps serving while the IdP is down, and a removed key for a grace period.
 */

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
  /**
   * Monotonic milliseconds (default performance.now): a removed key's grace runs on it, so a wall clock stepped while
   * the key is retired neither stretches nor cuts the grace (a leaked key must stop when the grace says).
   */
  elapsed?: () => number;
  logger: Logger;
  /** Least time between two fetches an unknown kid may trigger, and between a failed attempt and the next. */
  cooldownMs: number;
  /** Age after which the set is fetched again, in the background (requests keep the set they have). */
  maxAgeMs: number;
  timeoutMs: number;
  maxBytes: number;
  /** How long a key that left the issuer's JWKS still verifies, counted from the fetch that found it gone. */
  removedKeyGraceMs?: number;
}

/** The last refresh failed: since when (the first failure in a row), why, and when the keys in use were fetched. */
export interface JwksOutage {
  since: Date;
  error: string;
  fetchedAt?: Date;
}

export interface JwksCache {
  /** The key set (with removed keys still in their grace); starts a background refresh when it is older than maxAgeMs. */
  current(): Promise<readonly JwkEntry[] | undefined>;
  /** Refresh because a kid was not found, unless one ran within the cool-down; the set after it. */
  refreshForUnknownKid(): Promise<readonly JwkEntry[] | undefined>;
  /** Fetch now (joining a fetch in flight); true when that fetch succeeded. */
  refreshNow(): Promise<boolean>;
  loaded(): boolean;
  /** Set while the latest refresh attempt failed (the IdP is unreachable or answers nonsense). */
  outage(): JwksOutage | undefined;
  /** The issuer exactly as the discovery document states it, once fetched (tokens' `iss` must equal it). */
  issuer(): string | undefined;
}

/** Build the cache; nothing is fetched until asked. */
export function createJwksCache(o: JwksCacheOptions): JwksCache {
  let keys: readonly JwkEntry[] | undefined;
  let stated: string | undefined;
  let loadedAt = 0;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let lastKidAttempt = Number.NEGATIVE_INFINITY;
  let outage: JwksOutage | undefined;
  let inFlight: Promise<boolean> | undefined;
  /** Keys gone from the issuer's set, by kid, with the time their absence was seen. */
  const retired = new Map<string, { entry: JwkEntry; at: number }>();
  const graceMs = o.removedKeyGraceMs ?? 0;
  const elapsed = o.elapsed ?? (() => performance.now());
  const now = () => o.now().getTime();
  /** A clock that went backwards (elapsed < 0) also allows an attempt. */
  const elapsedSince = (t: number, gap: number) => {
    const elapsed = now() - t;
    return elapsed >= gap || elapsed < 0;
  };
  // Before the first success, retry sooner so a slow-starting IdP does not lock users out for a whole cool-down.
  const afterFailureGap = () => keys === undefined ? Math.min(o.cooldownMs, 1000) : o.cooldownMs;
  /** A periodic refresh: not within the gap after any attempt (a down IdP is asked once per cool-down). */
  const mayRefresh = () => elapsedSince(lastAttempt, afterFailureGap());
  /**
   * A refresh for an unknown kid: once per cool-down of such refreshes, and not right after a failure. A recent
   * successful periodic fetch does not hold it back: an IdP that rotated just after it must not wait a cool-down.
   */
  const mayRefreshForKid = () => elapsedSince(lastKidAttempt, o.cooldownMs) && (outage === undefined || mayRefresh());

  const retire = (fresh: readonly JwkEntry[]) => {
    if (!keys || graceMs <= 0) return;
    const kids = new Set(fresh.map((e) => e.kid));
    for (const k of retired.keys()) if (kids.has(k)) retired.delete(k); // published again
    for (const e of keys) {
      if (typeof e.kid === "string" && !kids.has(e.kid) && !retired.has(e.kid)) {
        retired.set(e.kid, { entry: e, at: elapsed() });
      }
    }
    if (retired.size > 0) {
      o.logger.warn("keys left the issuer JWKS; they verify until their grace ends", {
        issuer: o.issuer,
        kids: [...retired.keys()],
        grace_ms: graceMs,
      });
    }
  };
  /** The fetched set plus the removed keys still in their grace (none once it has passed). */
  const view = (): readonly JwkEntry[] | undefined => {
    if (!keys || retired.size === 0) return keys;
    for (const [kid, r] of retired) if (elapsed() - r.at >= graceMs) retired.delete(kid);
    return retired.size === 0 ? keys : [...keys, ...[...retired.values()].map((r) => r.entry)];
  };

  const refresh = (forKid = false): Promise<boolean> => {
    if (inFlight) return inFlight;
    lastAttempt = now();
    if (forKid) lastKidAttempt = lastAttempt;
    const run = load(o).then((fresh) => {
      retire(fresh.keys);
      keys = fresh.keys;
      stated = fresh.issuer;
      loadedAt = now();
      if (outage) o.logger.info("the issuer JWKS can be fetched again", { issuer: o.issuer, since: outage.since });
      outage = undefined;
      return true;
    }, (err: unknown) => {
      const error = err instanceof Error ? err.message : String(err);
      if (keys) {
        o.logger.warn("refreshing the issuer JWKS failed; using the previous key set", { error, issuer: o.issuer });
      } else o.logger.error("fetching the issuer JWKS failed", { error, issuer: o.issuer });
      outage = {
        since: outage?.since ?? new Date(lastAttempt),
        error,
        ...(keys ? { fetchedAt: new Date(loadedAt) } : {}),
      };
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
        else if (mayRefresh()) await refresh();
        return keys;
      }
      // With keys in hand nobody waits for a fetch: the set is refreshed in the background (a failure keeps it).
      const age = now() - loadedAt;
      if (!inFlight && (age >= o.maxAgeMs || age < 0) && mayRefresh()) void refresh();
      return view();
    },
    async refreshForUnknownKid() {
      if (inFlight) await inFlight;
      else if (mayRefreshForKid()) await refresh(true);
      return view();
    },
    refreshNow: () => refresh(),
    loaded: () => keys !== undefined,
    outage: () => outage,
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
