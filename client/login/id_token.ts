/**
 * @module The ID token use case, cheapest first: under the token cache's lock, a cached ID token still valid by its
 * own `exp`, else the refresh token (rotated, stored), else one interactive sign-in (browser or device flow), when
 * the caller allows one. A refresh the IdP refuses falls back to it once. `login` runs it inside its own locked
 * pass; a caller that only needs the token (`kube token`) calls getIdToken (cached_id_token.ts).
 */

import { isTalosOidcError, TalosOidcError } from "../../shared/errors.ts";
import type { FileLock } from "../file_lock.ts";
import type { CachedToken, CacheKey } from "../types.ts";
import type { ClientIdTokenClaims } from "../oidc/id_token.ts";
import { isIdTokenFresh } from "../token_cache/token.ts";
import { jwtExpiry, jwtPayloadOrUndefined } from "../../shared/jwt_payload.ts";
import type { TokenSet } from "../oidc/token_endpoint.ts";
import type { HeldPage } from "../oidc/auth_code.ts";
import type { SignInRun } from "./run.ts";
import { cacheKeyFor, fromCache, readCache, unverifiedClaims, usableEntry } from "./cached_id_token.ts";

/** A verified ID token and where it came from. */
export interface IdToken {
  idToken: string;
  claims: ClientIdTokenClaims;
  /** The cache, a refresh, or a fresh interactive sign-in. */
  source: "cache" | "refresh" | "login";
  /** With `holdPage`, after a browser sign-in: the tab, waiting to be told how the rest went. Finish it. */
  page?: HeldPage;
}

export interface IdTokenOptions {
  /**
   * May a browser tab or a device flow be started when neither the cached ID token nor the refresh token works?
   * false fails with ERR_UNAUTHORIZED instead (kubectl's `spec.interactive: false`).
   */
  interactive: boolean;
  /** The exchange server just refused the cached ID token: go straight to the refresh token. */
  skipCachedIdToken?: boolean;
  /**
   * Take a cached ID token that is still valid by its own `exp` without asking the IdP for its keys again: its
   * signature was checked when it was cached, and the one who receives it (kube-apiserver) checks it anyway.
   * kubectl runs `kube token` for every command: this keeps those runs off the network (kubelogin does the same).
   */
  trustCachedIdToken?: boolean;
  /**
   * `login --force`: use neither the cached ID token nor the refresh token; sign in interactively and ask the IdP to
   * let the user sign in again or pick another account (auth_code.ts reauthPrompt).
   */
  fresh?: boolean;
  /** Keep the browser tab of an interactive sign-in waiting for the caller (IdToken.page): login shows the roles. */
  holdPage?: boolean;
}

/** The ID token under the cache lock, for callers that do nothing else under it (getIdToken, past the cache). */
export async function lockedIdToken(run: SignInRun, options: IdTokenOptions): Promise<IdToken> {
  await using _lock = await lockTokenCache(run);
  return await obtainIdToken(run, options);
}

/**
 * One sign-in per cache entry at a time (across processes): a second one waits for the first, then finds what it
 * cached. The lock is given up as stale after the longest a sign-in may take.
 */
export async function lockTokenCache(run: SignInRun): Promise<FileLock> {
  const { deps: d, input: o } = run;
  const key = cacheKeyFor(o);
  const bound = d.loginTimeoutMs + 120_000;
  try {
    return await d.tokenCache.lock(key, { timeoutMs: 0, staleMs: bound, signal: d.signal });
  } catch (err) {
    if (!isTalosOidcError(err, "ERR_TIMEOUT")) throw err;
  }
  d.logger.info(`Another login for context "${o.contextName}" is in progress; waiting for it to finish...`);
  try {
    return await d.tokenCache.lock(key, { timeoutMs: bound, staleMs: bound, signal: d.signal });
  } catch (err) {
    if (isTalosOidcError(err, "ERR_TIMEOUT")) {
      throw new TalosOidcError("ERR_TIMEOUT", `waiting for the other login for context "${o.contextName}"`, {
        cause: err,
        hint: err.hint,
      });
    }
    throw err;
  }
}

/** Obtain a verified ID token. Call with the lock of lockTokenCache held (read-refresh-write). */
export async function obtainIdToken(run: SignInRun, options: IdTokenOptions): Promise<IdToken> {
  const { input: o, deps: d } = run;
  const key = cacheKeyFor(o);
  const cached = usableEntry(run, key, await readCache(run, key), options);
  if (cached?.id_token && !options.skipCachedIdToken) {
    if (isIdTokenFresh(cached.id_token, d.clock.now())) {
      const trusted = options.trustCachedIdToken ? unverifiedClaims(cached.id_token) : undefined;
      if (trusted) return fromCache(run, cached.id_token, trusted);
      try {
        return fromCache(run, cached.id_token, await (await run.idp()).verifier.verify(cached.id_token));
      } catch (err) {
        if (!isTalosOidcError(err, "ERR_INVALID_TOKEN")) throw err;
        d.logger.debug(`the cached ID token does not verify any more: ${err.message}`);
      }
    } else {
      const exp = jwtExpiry(cached.id_token);
      d.logger.info(`The cached ID token ${exp ? `expired at ${exp.toISOString()}` : "is unusable"}.`);
    }
  }
  // Loaded only past the cache: kubectl runs kube token for every command, and a cached token needs none of this.
  const [{ metadata, verifier }, { refreshTokens }, { describeOAuthError }] = await Promise.all([
    run.idp(),
    import("../oidc/refresh.ts"),
    import("../oidc/token_endpoint.ts"),
  ]);
  if (cached?.refresh_token) {
    d.logger.info("Refreshing the ID token with the refresh token...");
    const client = { clientId: o.clientId, clientSecret: o.clientSecret };
    const r = await refreshTokens(metadata, client, cached.refresh_token, o.scopes, { signal: d.signal });
    if (r.ok && r.tokens.id_token) {
      const previousSub = cached.id_token ? subjectOf(cached.id_token) : undefined;
      const claims = await verifier.verify(r.tokens.id_token, previousSub ? { sub: previousSub } : {});
      await writeCache(run, key, r.tokens);
      d.logger.info("Refreshed the ID token.");
      return { idToken: r.tokens.id_token, claims, source: "refresh" };
    }
    if (r.ok) {
      await writeCache(run, key, r.tokens);
      d.logger.info("The IdP refreshed the tokens without an ID token; signing in again.");
    } else {
      // Forget the dead refresh token so a retry does not try it again, and allow one browser tab for this failure.
      await writeCache(run, key, { ...cached, refresh_token: undefined });
      run.browserTabs.earn();
      d.logger.info(`The IdP refused the refresh token (${describeOAuthError(r.error)}); signing in again.`);
    }
  } else if (cached) {
    d.logger.debug("no refresh token cached");
  } else if (!options.fresh) {
    d.logger.info("No cached token; signing in.");
  }
  if (!options.interactive) {
    throw new TalosOidcError("ERR_UNAUTHORIZED", `signing in to "${o.provider}" needs a browser or the device flow`, {
      hint: "run talosctl-oidc login with the same provider, client and context, then try again",
    });
  }
  const { signInInteractively } = await import("./interactive.ts");
  const tokens = await signInInteractively(run, {
    reauthenticate: options.fresh === true,
    holdPage: options.holdPage === true,
  });
  await writeCache(run, key, tokens);
  if (!tokens.refresh_token) {
    d.logger.warn(`The IdP returned no refresh token: add "offline_access" to --scopes to renew without a browser.`);
  }
  const claims = await verifier.verify(tokens.id_token).catch(async (err) => {
    await tokens.page?.finish({ ok: false, message: err instanceof Error ? err.message : String(err) });
    throw err;
  });
  return { idToken: tokens.id_token, claims, source: "login", ...(tokens.page ? { page: tokens.page } : {}) };
}

/**
 * Forget the cached ID token the exchange server granted no roles, and note when: the next run says why it does not
 * send it again (the refresh token may bring new group memberships; `--force` signs in as someone else).
 */
export async function forgetRefusedIdToken(run: SignInRun): Promise<void> {
  const key = cacheKeyFor(run.input);
  const cached = await readCache(run, key);
  if (!cached) return;
  const { id_token: _dropped, ...rest } = cached;
  await writeCache(run, key, { ...rest, no_roles_at: run.deps.clock.now().toISOString() });
}

async function writeCache(run: SignInRun, key: CacheKey, t: TokenSet | Partial<CachedToken>): Promise<void> {
  const expiresIn = "expires_in" in t ? t.expires_in : undefined;
  const entry: CachedToken = {
    issuer: key.issuer,
    client_id: key.clientId,
    ...(t.id_token ? { id_token: t.id_token } : {}),
    ...(t.access_token ? { access_token: t.access_token } : {}),
    ...(t.refresh_token ? { refresh_token: t.refresh_token } : {}),
    ...("no_roles_at" in t && t.no_roles_at ? { no_roles_at: t.no_roles_at } : {}),
    ...(expiresIn
      ? { expires_at: new Date(run.deps.clock.now().getTime() + expiresIn * 1000).toISOString() }
      : "expires_at" in t && t.expires_at
      ? { expires_at: t.expires_at }
      : {}),
  };
  try {
    await run.deps.tokenCache.put(key, entry);
  } catch (err) {
    run.deps.logger.warn(`Could not cache the token: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function subjectOf(idToken: string): string | undefined {
  const sub = jwtPayloadOrUndefined(idToken)?.sub;
  return typeof sub === "string" ? sub : undefined;
}
