/** @module OpenID Provider discovery (OpenID Connect Discovery 1.0 §4) with the issuer check the original skipped. */

import { TalosOidcError } from "../../shared/errors.ts";
import { discoveryUrl, isLoopbackHost, sameIssuer } from "../../shared/issuer.ts";
import { type HttpOptions, requestJson } from "./http.ts";

/** The provider metadata the client uses. */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  device_authorization_endpoint?: string;
  revocation_endpoint?: string;
  code_challenge_methods_supported?: string[];
  /** The `prompt` values the IdP supports (OpenID Connect Prompt Create 1.0 §4.1 registers the field). */
  prompt_values_supported?: string[];
}

export interface DiscoveryOptions extends HttpOptions {
  /**
   * --insecure-provider: accept plain http:// for the issuer and its endpoints off loopback. Without it such a URL is
   * refused before anything is sent: the authorization code, the PKCE verifier and the refresh token would cross the
   * network in clear (the code and verifier together are a login).
   */
  allowPlainHttp?: boolean;
}

/** The flag that lets a plain http:// provider through, named in every refusal. */
const INSECURE_PROVIDER_FLAG_NAME = "--insecure-provider";

/**
 * Refuse a URL that is neither https:// nor http:// to a loopback host, unless `allowPlainHttp`.
 * @throws {TalosOidcError} ERR_USAGE for the --provider URL, ERR_DISCOVERY for an endpoint the document names.
 */
export function checkProviderUrl(raw: string, what: string, allowPlainHttp = false): void {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch { /* below */ }
  const code = what === "--provider" ? "ERR_USAGE" : "ERR_DISCOVERY";
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new TalosOidcError(code, `the ${what} URL "${raw}" is not an https:// URL`, {
      hint: "use the issuer's exact https:// URL",
    });
  }
  if (url.protocol === "https:" || isLoopbackHost(url.hostname) || allowPlainHttp) return;
  throw new TalosOidcError(code, `refusing the plain HTTP ${what} "${raw}": it needs ${INSECURE_PROVIDER_FLAG_NAME}`, {
    hint:
      `use https://; ${INSECURE_PROVIDER_FLAG_NAME} sends the authorization code, the PKCE verifier and the tokens ` +
      "over the network in clear (plain http is accepted without it only on loopback: tests and local IdPs)",
  });
}

/**
 * Fetch `<issuer>/.well-known/openid-configuration` and check it.
 * The document's `issuer` must name the given one (Discovery §4.3, up to one trailing slash: shared/issuer.ts),
 * otherwise tokens from another issuer could pass as ours. The returned `issuer` is the document's, exactly: ID
 * tokens and the callback's `iss` are checked against it.
 * Every endpoint the client sends a secret to must be https:// or loopback (checkProviderUrl), the issuer first.
 * @throws {TalosOidcError} ERR_DISCOVERY naming the issuer and what was wrong; ERR_USAGE for a plain-http issuer.
 */
export async function discoverProvider(issuer: string, options: DiscoveryOptions = {}): Promise<ProviderMetadata> {
  checkProviderUrl(issuer, "--provider", options.allowPlainHttp);
  const url = discoveryUrl(issuer);
  let res;
  try {
    res = await requestJson(url, { method: "GET" }, options);
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw new TalosOidcError("ERR_DISCOVERY", `fetching the OIDC discovery document of "${issuer}" failed`, {
      cause: err,
      hint: "check --provider (the issuer URL) and your network",
    });
  }
  const fail = (what: string) =>
    new TalosOidcError("ERR_DISCOVERY", `OIDC discovery for "${issuer}" failed: ${what}`, {
      hint: "check that --provider is the exact issuer URL of your IdP",
    });
  if (res.status !== 200) throw fail(`${url} returned HTTP ${res.status}`);
  const doc = res.json as Partial<Record<keyof ProviderMetadata, unknown>> | undefined;
  if (!doc || typeof doc !== "object") throw fail(`${url} did not return JSON`);
  for (const field of ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"] as const) {
    if (typeof doc[field] !== "string" || doc[field] === "") throw fail(`the document has no "${field}"`);
  }
  if (!sameIssuer(issuer, doc.issuer as string)) {
    throw fail(`the document names issuer "${doc.issuer}", not "${issuer}"`);
  }
  for (const field of ["authorization_endpoint", "token_endpoint", "jwks_uri"] as const) {
    checkProviderUrl(doc[field] as string, `provider's ${field}`, options.allowPlainHttp);
  }
  for (const field of ["device_authorization_endpoint", "revocation_endpoint"] as const) {
    if (typeof doc[field] === "string") checkProviderUrl(doc[field], `provider's ${field}`, options.allowPlainHttp);
  }
  const methods = doc.code_challenge_methods_supported;
  const prompts = doc.prompt_values_supported;
  return Object.freeze({
    issuer: doc.issuer as string,
    authorization_endpoint: doc.authorization_endpoint as string,
    token_endpoint: doc.token_endpoint as string,
    jwks_uri: doc.jwks_uri as string,
    ...(typeof doc.device_authorization_endpoint === "string"
      ? { device_authorization_endpoint: doc.device_authorization_endpoint }
      : {}),
    ...(typeof doc.revocation_endpoint === "string" ? { revocation_endpoint: doc.revocation_endpoint } : {}),
    ...(Array.isArray(methods) ? { code_challenge_methods_supported: methods.map(String) } : {}),
    ...(Array.isArray(prompts) ? { prompt_values_supported: prompts.map(String) } : {}),
  });
}
