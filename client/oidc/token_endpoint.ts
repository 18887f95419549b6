/** @module Token endpoint requests (RFC 6749 §4.1.3, §5, §6) shared by the code, refresh and device grants. */

import { TalosOidcError } from "../../shared/errors.ts";
import { excerpt, type HttpOptions, postForm } from "./http.ts";

/** A successful token response (RFC 6749 §5.1 + OIDC Core §3.1.3.3). */
export interface TokenSet {
  id_token?: string;
  access_token?: string;
  refresh_token?: string;
  /** Seconds until the access token expires. */
  expires_in?: number;
  scope?: string;
}

/** An OAuth error response (RFC 6749 §5.2, RFC 8628 §3.5). */
export interface OAuthErrorBody {
  error: string;
  error_description?: string;
}

export type TokenResult = { ok: true; tokens: TokenSet } | { ok: false; status: number; error: OAuthErrorBody };

/** Client identity sent with every token request: public clients send only client_id. */
export interface ClientAuth {
  clientId: string;
  /** Sent as client_secret_post when set (as the original tool did). */
  clientSecret?: string;
}

/**
 * POST a grant to the token endpoint. OAuth errors come back as `{ ok: false }` so callers can act on
 * `authorization_pending`, `slow_down` or `invalid_grant`; anything else unexpected throws.
 * @throws {TalosOidcError} ERR_OIDC when the endpoint is unreachable or answers something that is not OAuth.
 */
export async function requestToken(
  endpoint: string,
  client: ClientAuth,
  grant: Record<string, string | undefined>,
  options: HttpOptions = {},
): Promise<TokenResult> {
  let res;
  try {
    res = await postForm(
      endpoint,
      { ...grant, client_id: client.clientId, client_secret: client.clientSecret },
      options,
    );
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw new TalosOidcError("ERR_OIDC", `calling the IdP token endpoint "${endpoint}" failed`, { cause: err });
  }
  const body = res.json as Record<string, unknown> | undefined;
  if (res.status === 200 && body && typeof body === "object") return { ok: true, tokens: pickTokens(body) };
  if (body && typeof body.error === "string") {
    const error: OAuthErrorBody = { error: body.error };
    if (typeof body.error_description === "string") error.error_description = body.error_description;
    return { ok: false, status: res.status, error };
  }
  throw new TalosOidcError(
    "ERR_OIDC",
    `the IdP token endpoint returned HTTP ${res.status}: ${excerpt(res.text) || "(empty body)"}`,
  );
}

/** The IdP's own words, as is: `error: error_description`. */
export function describeOAuthError(e: OAuthErrorBody): string {
  return e.error_description ? `${e.error}: ${e.error_description}` : e.error;
}

function pickTokens(body: Record<string, unknown>): TokenSet {
  const out: TokenSet = {};
  for (const k of ["id_token", "access_token", "refresh_token", "scope"] as const) {
    if (typeof body[k] === "string" && body[k] !== "") out[k] = body[k] as string;
  }
  const exp = Number(body.expires_in);
  if (Number.isFinite(exp) && exp > 0) out.expires_in = exp;
  return out;
}
