/**
 * @module Get an ID token worth sending, cheapest first: a cached ID token still valid by its own `exp`, else the
 * refresh token (rotated, stored), else one interactive login. A refresh the IdP refuses falls back to it once.
 */

import { isTalosOidcError } from "../../shared/errors.ts";
import type { CachedToken, CacheKey } from "../types.ts";
import { type IdTokenClaims, isIdTokenFresh, readIdTokenExpiry } from "../oidc/id_token.ts";
import { refreshTokens } from "../oidc/refresh.ts";
import { describeOAuthError, type TokenSet } from "../oidc/token_endpoint.ts";
import type { LoginDeps } from "./login_deps.ts";
import { type BrowserBudget, signInInteractively } from "./login_interactive.ts";
import type { LoginOptions } from "./login_options.ts";
import type { OidcSession } from "./login_session.ts";

export interface ObtainedToken {
  idToken: string;
  claims: IdTokenClaims;
  /** Where it came from: the cache, a refresh, or a fresh interactive login. */
  source: "cache" | "refresh" | "login";
}

/** The cache key: context, issuer and client (entries of another issuer or client are never reused). */
export function cacheKeyFor(o: Readonly<LoginOptions>): CacheKey {
  return { context: o.contextName, issuer: o.provider, clientId: o.clientId };
}

/**
 * Obtain a verified ID token. Call with the cache lock held (read-refresh-write).
 * `skipCachedIdToken`: the server just refused the cached one, go straight to the refresh token.
 */
export async function obtainIdToken(
  o: Readonly<LoginOptions>,
  d: LoginDeps,
  session: OidcSession,
  budget: BrowserBudget,
  skipCachedIdToken = false,
): Promise<ObtainedToken> {
  const key = cacheKeyFor(o);
  const cached = await readCache(d, key);
  const { metadata, verifier } = await session.get();
  if (cached?.id_token && !skipCachedIdToken) {
    if (isIdTokenFresh(cached.id_token, d.clock.now())) {
      try {
        const claims = await verifier.verify(cached.id_token);
        d.logger.info(`Using the cached ID token (valid until ${new Date(claims.exp * 1000).toISOString()}).`);
        return { idToken: cached.id_token, claims, source: "cache" };
      } catch (err) {
        if (!isTalosOidcError(err, "ERR_INVALID_TOKEN")) throw err;
        d.logger.debug(`the cached ID token does not verify any more: ${err.message}`);
      }
    } else {
      const exp = readIdTokenExpiry(cached.id_token);
      d.logger.info(`The cached ID token ${exp ? `expired at ${exp.toISOString()}` : "is unusable"}.`);
    }
  }
  if (cached?.refresh_token) {
    d.logger.info("Refreshing the ID token with the refresh token...");
    const client = { clientId: o.clientId, clientSecret: o.clientSecret };
    const r = await refreshTokens(metadata, client, cached.refresh_token, o.scopes, { signal: d.signal });
    if (r.ok && r.tokens.id_token) {
      const previousSub = cached.id_token ? subjectOf(cached.id_token) : undefined;
      const claims = await verifier.verify(r.tokens.id_token, previousSub ? { sub: previousSub } : {});
      await writeCache(d, key, r.tokens);
      d.logger.info("Refreshed the ID token.");
      return { idToken: r.tokens.id_token, claims, source: "refresh" };
    }
    if (r.ok) {
      await writeCache(d, key, r.tokens);
      d.logger.info("The IdP refreshed the tokens without an ID token; signing in again.");
    } else {
      // Forget the dead refresh token so a retry does not try it again, and allow one browser tab for this failure.
      await writeCache(d, key, { ...cached, refresh_token: undefined });
      budget.mayOpen = true;
      d.logger.info(`The IdP refused the refresh token (${describeOAuthError(r.error)}); signing in again.`);
    }
  } else if (cached) {
    d.logger.debug("no refresh token cached");
  } else {
    d.logger.info("No cached token; signing in.");
  }
  const tokens = await signInInteractively(o, d, session, budget);
  await writeCache(d, key, tokens);
  if (!tokens.refresh_token) {
    d.logger.warn(`The IdP returned no refresh token: add "offline_access" to --scopes to renew without a browser.`);
  }
  const claims = await verifier.verify(tokens.id_token);
  return { idToken: tokens.id_token, claims, source: "login" };
}

async function readCache(d: LoginDeps, key: CacheKey): Promise<CachedToken | null> {
  try {
    return await d.tokenCache.get(key);
  } catch (err) {
    d.logger.warn(`Could not read the token cache: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

async function writeCache(d: LoginDeps, key: CacheKey, t: TokenSet | Partial<CachedToken>): Promise<void> {
  const expiresIn = "expires_in" in t ? t.expires_in : undefined;
  const entry: CachedToken = {
    issuer: key.issuer,
    client_id: key.clientId,
    ...(t.id_token ? { id_token: t.id_token } : {}),
    ...(t.access_token ? { access_token: t.access_token } : {}),
    ...(t.refresh_token ? { refresh_token: t.refresh_token } : {}),
    ...(expiresIn
      ? { expires_at: new Date(d.clock.now().getTime() + expiresIn * 1000).toISOString() }
      : "expires_at" in t && t.expires_at
      ? { expires_at: t.expires_at }
      : {}),
  };
  try {
    await d.tokenCache.put(key, entry);
  } catch (err) {
    d.logger.warn(`Could not cache the token: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function subjectOf(idToken: string): string | undefined {
  try {
    const payload = JSON.parse(atob(idToken.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    return typeof payload.sub === "string" ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}
