/**
 * @module Authorization Code flow with PKCE (RFC 6749 §4.1, RFC 7636) through a loopback redirect (RFC 8252),
 * with state and nonce (OIDC Core §3.1.2.1). The browser tab is answered only once the tokens are verified.
 */

import { TalosOidcError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import type { PageOutcome } from "./callback_page.ts";
import { type CallbackServer, startCallbackServer } from "./callback_server.ts";
import type { CallbackTls } from "./callback_tls.ts";
import type { ProviderMetadata } from "./discovery.ts";
import type { Fetch } from "./http.ts";
import { createPkce, randomToken } from "./pkce.ts";
import { type ClientAuth, describeOAuthError, requestToken, type TokenSet } from "./token_endpoint.ts";

export interface AuthCodeFlowOptions {
  metadata: ProviderMetadata;
  client: ClientAuth;
  scopes: string[];
  listenAddresses: string[];
  redirectUrl?: string;
  /** Ask the IdP to sign the user in again or let them pick an account (`login --force`): see reauthPrompt. */
  reauthenticate?: boolean;
  /**
   * Keep the browser's callback request open after a successful sign-in, for at most this long, so the caller can
   * show how it ended (login: the certificate's roles, or the server's refusal). Without it the tab is answered
   * "signed in" as soon as the tokens are verified.
   */
  holdPageMs?: number;
  /** Serve the loopback callback over TLS (https:// redirect URI). */
  callbackTls?: CallbackTls;
  /** Show or open the authorization URL (browser opener, printed URL, spinner). */
  presentUrl(url: string): Promise<void> | void;
  /** Check the ID token (signature, claims, this login's nonce) before the browser is told it worked. */
  verifyIdToken(idToken: string, nonce: string): Promise<unknown>;
  logger: Logger;
  signal: AbortSignal;
  fetch?: Fetch;
}

/** Tokens from a finished browser login; `id_token` is present and verified. */
export type VerifiedTokens = TokenSet & { id_token: string };

/** The browser tab of a finished sign-in, still waiting to be told how the rest went (holdPageMs). */
export interface HeldPage {
  /** Answer the tab with `outcome` (the first call wins; later ones wait for it) and close the callback listener. */
  finish(outcome: PageOutcome): Promise<void>;
}

/** What the tab says when the caller has not finished it within the cap. */
export const PAGE_CAP_OUTCOME: PageOutcome = Object.freeze({
  ok: true,
  message: "You are signed in. The rest takes longer than expected: see your terminal for how it ends.",
});

/** Build the authorization request URL (RFC 6749 §4.1.1 + PKCE + nonce). */
export function buildAuthorizationUrl(
  metadata: ProviderMetadata,
  p: {
    clientId: string;
    redirectUri: string;
    scopes: string[];
    state: string;
    nonce: string;
    challenge: string;
    reauthenticate?: boolean;
  },
): string {
  const url = new URL(metadata.authorization_endpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", p.clientId);
  url.searchParams.set("redirect_uri", p.redirectUri);
  url.searchParams.set("scope", p.scopes.join(" "));
  url.searchParams.set("state", p.state);
  url.searchParams.set("nonce", p.nonce);
  url.searchParams.set("code_challenge", p.challenge);
  url.searchParams.set("code_challenge_method", "S256");
  // prompt is a space-separated list (OIDC Core §3.1.2.1): a fresh sign-in, and consent for a refresh token.
  const prompt: string[] = p.reauthenticate ? [reauthPrompt(metadata)].filter((x) => x !== undefined) : [];
  if (p.scopes.includes("offline_access")) {
    // As the original tool: OIDC Core §11 asks for prompt=consent with offline_access; Google wants access_type.
    url.searchParams.set("access_type", "offline");
    prompt.push("consent");
  }
  if (prompt.length > 0) url.searchParams.set("prompt", prompt.join(" "));
  return url.href;
}

/**
 * The `prompt` value that makes the IdP ask who is signing in instead of reusing its session (OIDC Core §3.1.2.1):
 * `select_account` where the IdP advertises it (the user picks or adds an account), else `login` (sign in again).
 * An IdP whose `prompt_values_supported` lists neither gets none (it would refuse the request). Without the list,
 * `login`, the value OIDC Core defines for this, except at Google, which documents only none, consent and
 * select_account and refuses others.
 */
export function reauthPrompt(metadata: ProviderMetadata): "select_account" | "login" | undefined {
  const supported = metadata.prompt_values_supported;
  if (supported) {
    return supported.includes("select_account") ? "select_account" : supported.includes("login") ? "login" : undefined;
  }
  return new URL(metadata.issuer).hostname === "accounts.google.com" ? "select_account" : "login";
}

/**
 * Run one browser login and return verified tokens.
 * @throws {TalosOidcError} ERR_OIDC with the IdP's `error: error_description` as is; ERR_INVALID_TOKEN.
 */
export async function runAuthCodeFlow(o: AuthCodeFlowOptions): Promise<VerifiedTokens & { page?: HeldPage }> {
  const pkce = await createPkce();
  const state = randomToken();
  const nonce = randomToken();
  const server = startCallbackServer({
    listenAddresses: o.listenAddresses,
    redirectUrl: o.redirectUrl,
    state,
    issuer: o.metadata.issuer,
    ...(o.callbackTls ? { tls: o.callbackTls } : {}),
    logger: o.logger,
  });
  let outcome: PageOutcome = { ok: false, message: "The login failed; see your terminal." };
  let held = false;
  try {
    const url = buildAuthorizationUrl(o.metadata, {
      clientId: o.client.clientId,
      redirectUri: server.redirectUri,
      scopes: o.scopes,
      state,
      nonce,
      challenge: pkce.challenge,
      ...(o.reauthenticate ? { reauthenticate: true } : {}),
    });
    await o.presentUrl(url);
    const params = await server.wait(o.signal);
    if ("error" in params) {
      outcome = { ok: false, message: `The IdP answered: ${describeOAuthError(params)}` };
      throw new TalosOidcError("ERR_OIDC", `the IdP refused the login: ${describeOAuthError(params)}`);
    }
    o.logger.debug("received the authorization code; redeeming it at the token endpoint");
    const res = await requestToken(o.metadata.token_endpoint, o.client, {
      grant_type: "authorization_code",
      code: params.code,
      redirect_uri: server.redirectUri,
      code_verifier: pkce.verifier,
    }, { fetch: o.fetch, signal: o.signal });
    if (!res.ok) {
      outcome = { ok: false, message: `The IdP refused the code: ${describeOAuthError(res.error)}` };
      throw new TalosOidcError("ERR_OIDC", `redeeming the authorization code failed: ${describeOAuthError(res.error)}`);
    }
    const idToken = res.tokens.id_token;
    if (!idToken) {
      throw new TalosOidcError("ERR_OIDC", "the IdP did not return an ID token", {
        hint: `make sure the "openid" scope is requested (--scopes)`,
      });
    }
    await o.verifyIdToken(idToken, nonce);
    outcome = { ok: true, message: "You are signed in to talosctl-oidc." };
    if (o.holdPageMs === undefined) return { ...res.tokens, id_token: idToken };
    held = true;
    return { ...res.tokens, id_token: idToken, page: holdPage(server, o.holdPageMs) };
  } finally {
    if (!held) await server.close(outcome);
  }
}

/** The held tab: answered by finish(), or after `capMs` with PAGE_CAP_OUTCOME (the terminal tells the rest). */
function holdPage(server: CallbackServer, capMs: number): HeldPage {
  let done: Promise<void> | undefined;
  const finish = (outcome: PageOutcome) => {
    clearTimeout(timer);
    return done ??= server.close(outcome);
  };
  const timer = setTimeout(() => void finish(PAGE_CAP_OUTCOME), capMs);
  return { finish };
}
