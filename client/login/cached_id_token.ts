/**
 * @module The ID token use case's side of the token cache: an entry's key, whether this run may use the entry, and
 * getIdToken for callers that only need the token (kube token, which kubectl runs for every command). A cached ID
 * token that can be handed out as it is gets read without the lock; anything else goes to the locked use case
 * (id_token.ts), loaded only then.
 */

import { isoString } from "../../shared/clock.ts";
import { heldLogger, type Logger } from "../../shared/log.ts";
import { jwtPayloadOrUndefined } from "../../shared/jwt_payload.ts";
import type { ClientIdTokenClaims } from "../oidc/id_token.ts";
import { isExpiryFresh } from "../token_cache/token.ts";
import type { CachedToken, CacheKey } from "../types.ts";
import type { IdToken, IdTokenOptions } from "./id_token.ts";
import type { SignInInput } from "./input.ts";
import type { LoginDeps } from "./deps.ts";
import type { SignInRun } from "./run.ts";

/** What reading the cache takes: the sign-in input and three of its adapters. A SignInRun is one. */
export interface CacheRead {
  readonly input: Readonly<SignInInput>;
  readonly deps: Pick<LoginDeps, "tokenCache" | "clock" | "logger">;
}

/**
 * The cache key: context, issuer, client and the requested scopes. Entries of another issuer or client are never
 * reused, nor those requested without one of these scopes: adding a scope (`groups`) must bring a token that carries
 * it. An entry requested with more scopes serves (its claims are a superset).
 */
export function cacheKeyFor(o: Readonly<SignInInput>): CacheKey {
  return { context: o.contextName, issuer: o.provider, clientId: o.clientId, scopes: normaliseScopes(o.scopes) };
}

/** Scopes sorted and de-duplicated, so that the same set in another order is the same key. */
export function normaliseScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].sort();
}

/**
 * Get a verified ID token under the cache lock: for callers that do nothing else under it. A cached ID token that
 * may be handed out as it is (trustCachedIdToken) is read without the lock: see cachedIdTokenWithoutLock.
 */
export async function getIdToken(run: SignInRun, options: IdTokenOptions): Promise<IdToken> {
  // The locked use case is loaded past the cache only: a token handed out as it is needs no refresh or sign-in.
  return (await cachedIdTokenWithoutLock(run, options)) ??
    await (await import("./id_token.ts")).lockedIdToken(run, options);
}

/**
 * The cached ID token, read without taking the lock, when it is handed out as it is (trustCachedIdToken: fresh by
 * its own `exp`, with `sub`, requested with every scope wanted); else undefined, and the caller takes the lock and
 * reads again (obtainIdToken: refresh, sign-in). kubectl runs kube token for every command, and the lock costs
 * each run a directory, a hash, a file created, linked and removed.
 *
 * The lock is not needed for this read. It orders read-refresh-write, so that two processes never redeem the same
 * refresh token; this read writes nothing and redeems nothing. The cache holds whole values only: the token file is
 * replaced by rename (shared/atomic_write.ts) under its own lock, which readers never took (a refresh of another
 * context rewrites the file while this one holds its refresh lock), and a keychain entry is replaced whole. So the
 * read sees the entry from before or after a concurrent refresh or sign-in, never a mix, and either one's ID token,
 * fresh by its `exp`, is what a locked read would hand out had it come just before that writer took the lock.
 * A token the exchange server refused (no_roles_at) or one missing a scope goes to the locked path, as does
 * anything unreadable. The lines this read would log are held back and kept only when it answers, so a run that
 * goes on to the locked read logs what it always did, once.
 */
export async function cachedIdTokenWithoutLock(run: CacheRead, options: IdTokenOptions): Promise<IdToken | undefined> {
  if (!options.trustCachedIdToken || options.skipCachedIdToken || options.fresh) return undefined;
  const { deps: d } = run;
  const held = heldLogger();
  const key = cacheKeyFor(run.input);
  const cached = usableEntry(run, key, await readCache(run, key, held), options, held);
  if (!cached?.id_token || cached.no_roles_at) return undefined;
  const claims = unverifiedClaims(cached.id_token);
  if (!claims || !isExpiryFresh(new Date(claims.exp * 1000), d.clock.now())) return undefined;
  held.replay(d.logger);
  return fromCache(run, cached.id_token, claims);
}

/** Hand out the cached ID token, saying until when it is valid. */
export function fromCache({ deps: d }: CacheRead, idToken: string, claims: ClientIdTokenClaims): IdToken {
  d.logger.info(`Using the cached ID token (valid until ${isoString(new Date(claims.exp * 1000))}).`);
  return { idToken, claims, source: "cache" };
}

/** The cached entry when this run may use it; says why not (other scopes, --force) or what it does instead. */
export function usableEntry(
  { deps: d }: CacheRead,
  key: CacheKey,
  cached: CachedToken | null,
  options: IdTokenOptions,
  logger: Logger = d.logger,
): CachedToken | null {
  if (options.fresh) {
    logger.info("Signing in again (--force): not using the cached tokens.");
    return null;
  }
  if (!cached) return null;
  // Tokens asked for more scopes serve a caller that wants fewer (their claims are a superset), never the reverse.
  const missing = (key.scopes ?? []).filter((s) => cached.scopes && !cached.scopes.includes(s));
  if (missing.length > 0) {
    logger.info(
      `The cached tokens were requested without the scope${missing.length === 1 ? "" : "s"} ` +
        `"${missing.join(" ")}" (with "${cached.scopes!.join(" ")}"); signing in again.`,
    );
    return null;
  }
  if (cached.no_roles_at) {
    logger.info(
      `The exchange server granted the ID token cached at ${cached.no_roles_at} no roles, so it is not sent again` +
        (cached.refresh_token ? "; getting a new one with the refresh token" : "") +
        ` (talosctl-oidc login --force signs in afresh, e.g. as another account).`,
    );
  }
  return cached;
}

/** The cache entry for `key`, or null when there is none or it cannot be read (said through `logger`). */
export async function readCache(run: CacheRead, key: CacheKey, logger?: Logger): Promise<CachedToken | null> {
  try {
    return await run.deps.tokenCache.get(key, logger);
  } catch (err) {
    (logger ?? run.deps.logger).warn(
      `Could not read the token cache: ${err instanceof Error ? err.message : String(err)}`,
    );
    return null;
  }
}

/** The claims of a cached token, unverified (see trustCachedIdToken); undefined unless `exp` and `sub` are there. */
export function unverifiedClaims(idToken: string): ClientIdTokenClaims | undefined {
  const p = jwtPayloadOrUndefined(idToken);
  return p && typeof p.exp === "number" && typeof p.sub === "string" ? p as unknown as ClientIdTokenClaims : undefined;
}
