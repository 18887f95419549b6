/** @module The npm oidc-provider configuration of the test IdP (clients, claims, pages, TTLs, auto-granted consent). */

import Provider from "oidc-provider";
import type * as jose from "jose";
import { IDP_PAGE_SOURCES } from "./idp_pages.ts";
import type { IdpClient, TestIdpOptions } from "./idp.ts";
import type { IdpUser } from "./idp_users.ts";

/** A Provider for `issuer` publishing `jwks`; rebuilt with the same settings when the test IdP rotates its keys. */
export function createProvider(
  issuer: string,
  mount: string,
  o: TestIdpOptions & { clients: IdpClient[]; byId: Map<string, IdpUser>; jwks: jose.JWK[] },
): Provider {
  const { clients, byId, jwks } = o;
  const options = o;
  return new Provider(issuer, {
    clients: clients.map((c) => ({
      client_id: c.client_id,
      ...(c.client_secret ? { client_secret: c.client_secret } : { token_endpoint_auth_method: "none" }),
      application_type: "native",
      redirect_uris: c.redirect_uris ?? ["http://127.0.0.1:8900/callback", "http://localhost:8900/callback"],
      grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
      response_types: ["code"],
      id_token_signed_response_alg: c.id_token_signed_response_alg ?? "RS256",
    })),
    jwks: { keys: jwks },
    cookies: { keys: [crypto.randomUUID()] },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "preferred_username"],
      groups: ["groups"],
    },
    scopes: ["openid", "offline_access", "email", "profile", "groups"],
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: IDP_PAGE_SOURCES.userCodeInputSource,
        userCodeConfirmSource: IDP_PAGE_SOURCES.userCodeConfirmSource,
        successSource: IDP_PAGE_SOURCES.successSource,
      },
      revocation: { enabled: true, allowedPolicy: revocationAllowed },
      rpInitiatedLogout: {
        logoutSource: IDP_PAGE_SOURCES.logoutSource,
        postLogoutSuccessSource: IDP_PAGE_SOURCES.postLogoutSuccessSource,
      },
    },
    clientBasedCORS: () => false, // no browser app calls this IdP from another origin
    pkce: { required: () => true },
    ttl: {
      IdToken: options.idTokenTtl ?? 3600,
      AccessToken: options.accessTokenTtl ?? 3600,
      RefreshToken: 86400,
      DeviceCode: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 86400,
    },
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) =>
      client.grantTypeAllowed("refresh_token"),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${mount}/interaction/${interaction.uid}` },
    findAccount(_ctx: unknown, sub: string) {
      const u = byId.get(sub);
      if (!u) return Promise.resolve(undefined);
      return Promise.resolve({
        accountId: sub,
        claims: () =>
          Promise.resolve({
            sub,
            email: u.email,
            email_verified: true,
            name: u.name,
            preferred_username: sub,
            groups: u.groups,
            ...u.extra,
          }),
      });
    },
    async loadExistingGrant(ctx: ProviderCtx) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      const id = grantId ?? await autoGrant(ctx.oidc.provider, ctx.oidc.client.clientId, ctx.oidc.session.accountId);
      return await ctx.oidc.provider.Grant.find(id);
    },
    renderError: IDP_PAGE_SOURCES.renderError,
    // deno-lint-ignore no-explicit-any
  } as any);
}

// deno-lint-ignore no-explicit-any
type ProviderCtx = any;

/** A client may revoke only its own tokens (oidc-provider's default policy, written out so it says nothing). */
function revocationAllowed(_ctx: unknown, client: { clientId: string }, token: { clientId?: string }): boolean {
  return token.clientId === client.clientId;
}

/** Grant every scope and claim the test clients may ask for, so no consent page is needed. */
export async function autoGrant(provider: Provider, clientId: string, accountId: string): Promise<string> {
  const grant = new provider.Grant({ clientId, accountId });
  grant.addOIDCScope("openid email profile groups offline_access");
  grant.addOIDCClaims(["email", "email_verified", "name", "preferred_username", "groups"]);
  return await grant.save();
}
