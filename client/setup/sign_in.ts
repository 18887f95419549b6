/** @module Setup's one real login (browser + PKCE, or device flow) using login's OIDC pieces; returns verified claims. */

import type { Stdio } from "../../shared/cli.ts";
import type { CallbackTls } from "../oidc/callback_tls.ts";
import type { Clock } from "../../shared/clock.ts";
import type { Logger } from "../../shared/log.ts";
import type { BrowserOpener } from "../browser.ts";
import { runAuthCodeFlow } from "../oidc/auth_code.ts";
import { LOGIN_TIMEOUT_MS, withDeadline } from "../oidc/deadline.ts";
import { runDeviceFlow } from "../oidc/device_flow.ts";
import type { ProviderMetadata } from "../oidc/discovery.ts";
import { createClientIdTokenVerifier } from "../oidc/id_token.ts";
import type { TokenSet } from "../oidc/token_endpoint.ts";
import { TalosOidcError } from "../../shared/errors.ts";

export interface SignInOptions {
  metadata: ProviderMetadata;
  clientId: string;
  clientSecret?: string;
  scopes: string[];
  callbackPort: number;
  /** Serve the loopback callback over https:// with this pair (--local-server-cert/--local-server-key). */
  callbackTls?: CallbackTls;
  deviceCode: boolean;
  skipOpenBrowser: boolean;
  browser: BrowserOpener;
  stdio: Stdio;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
  /** Wait between device-flow polls. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The verified ID token, every claim in it, and the token response (for the token cache). */
export interface SignedIn {
  tokens: TokenSet & { id_token: string };
  claims: Record<string, unknown>;
}

/** Sign in once and verify the ID token exactly as login does (signature, iss, aud, azp, exp, nonce). */
export async function signIn(o: SignInOptions): Promise<SignedIn> {
  const verifier = await createClientIdTokenVerifier({
    issuer: o.metadata.issuer,
    clientId: o.clientId,
    jwksUri: o.metadata.jwks_uri,
    clock: o.clock,
  });
  const client = { clientId: o.clientId, ...(o.clientSecret ? { clientSecret: o.clientSecret } : {}) };
  return await withDeadline(o.signal, LOGIN_TIMEOUT_MS, "waiting for the login", async (signal) => {
    if (o.deviceCode) {
      const tokens = await runDeviceFlow({
        metadata: o.metadata,
        client,
        scopes: o.scopes,
        clock: o.clock,
        logger: o.logger,
        signal,
        sleep: o.sleep,
        prompt: (p) =>
          o.stdio.stderr(
            `Open ${p.verification_uri_complete ?? p.verification_uri} on any device` +
              `${p.verification_uri_complete ? "" : " and enter the code"}: ${p.user_code}\n`,
          ),
      });
      if (!tokens.id_token) throw new TalosOidcError("ERR_OIDC", "the IdP did not return an ID token");
      const claims = await verifier.verify(tokens.id_token);
      return { tokens: { ...tokens, id_token: tokens.id_token }, claims: { ...claims } };
    }
    let claims: Record<string, unknown> = {};
    const tokens = await runAuthCodeFlow({
      metadata: o.metadata,
      client,
      scopes: o.scopes,
      listenAddresses: [`127.0.0.1:${o.callbackPort}`],
      ...(o.callbackTls ? { callbackTls: o.callbackTls } : {}),
      logger: o.logger,
      signal,
      verifyIdToken: async (idToken, nonce) => (claims = { ...(await verifier.verify(idToken, { nonce })) }),
      presentUrl: async (url) => {
        if (!o.skipOpenBrowser) {
          try {
            await o.browser.open(url);
          } catch (err) {
            o.logger.warn(`could not open a browser (${err instanceof Error ? err.message : String(err)})`);
          }
        }
        o.stdio.stderr(`${o.skipOpenBrowser ? "Open" : "If the browser does not open, visit"}:\n  ${url}\n\n`);
      },
    });
    return { tokens, claims };
  });
}
