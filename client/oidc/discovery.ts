/** @module OpenID Provider discovery (OpenID Connect Discovery 1.0 §4) with the issuer check the original skipped. */

import { TalosOidcError } from "../../shared/errors.ts";
import { discoveryUrl, sameIssuer } from "../../shared/issuer.ts";
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
}

/**
 * Fetch `<issuer>/.well-known/openid-configuration` and check it.
 * The document's `issuer` must name the given one (Discovery §4.3, up to one trailing slash: shared/issuer.ts),
 * otherwise tokens from another issuer could pass as ours. The returned `issuer` is the document's, exactly: ID
 * tokens and the callback's `iss` are checked against it.
 * @throws {TalosOidcError} ERR_DISCOVERY naming the issuer and what was wrong.
 */
export async function discoverProvider(issuer: string, options: HttpOptions = {}): Promise<ProviderMetadata> {
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
  const methods = doc.code_challenge_methods_supported;
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
  });
}
