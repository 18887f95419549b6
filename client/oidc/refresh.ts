/** @module Refresh token grant (RFC 6749 §6) with rotation: the caller stores whichever refresh token comes back. */

import { TalosOidcError } from "../../shared/errors.ts";
import type { ProviderMetadata } from "./discovery.ts";
import type { HttpOptions } from "./http.ts";
import {
  type ClientAuth,
  describeOAuthError,
  type OAuthErrorBody,
  requestToken,
  type TokenSet,
} from "./token_endpoint.ts";

/** The IdP would not refresh (revoked, expired, rotated away): the caller falls back to a fresh login. */
export type RefreshOutcome = { ok: true; tokens: TokenSet } | { ok: false; error: OAuthErrorBody };

/**
 * Trade a refresh token for new tokens. When the IdP rotates, the new refresh token is in `tokens`;
 * when it does not, the old one is kept (RFC 6749 §6: "MAY issue a new refresh token").
 * @throws {TalosOidcError} ERR_OIDC when the IdP cannot be reached or answers something that is not OAuth.
 */
export async function refreshTokens(
  metadata: ProviderMetadata,
  client: ClientAuth,
  refreshToken: string,
  scopes: string[],
  options: HttpOptions = {},
): Promise<RefreshOutcome> {
  const res = await requestToken(metadata.token_endpoint, client, {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    // RFC 6749 §6: scope may only narrow; send what was asked at login so the ID token keeps its claims.
    scope: scopes.join(" "),
  }, options);
  if (!res.ok) {
    if (res.status >= 500) {
      throw new TalosOidcError("ERR_OIDC", `refreshing the token failed: ${describeOAuthError(res.error)}`);
    }
    return { ok: false, error: res.error };
  }
  return { ok: true, tokens: { ...res.tokens, refresh_token: res.tokens.refresh_token ?? refreshToken } };
}
