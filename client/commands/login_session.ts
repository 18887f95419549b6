/** @module One IdP session per login run: discovery and the JWKS-backed ID token verifier, fetched once, lazily. */

import { discoverProvider, type ProviderMetadata } from "../oidc/discovery.ts";
import { createIdTokenVerifier, type IdTokenVerifier } from "../oidc/id_token.ts";
import type { LoginDeps } from "./login_deps.ts";
import type { LoginOptions } from "./login_options.ts";

export interface OidcSession {
  /** Discover the IdP and build the verifier on first use; a failure is retried on the next call. */
  get(): Promise<{ metadata: ProviderMetadata; verifier: IdTokenVerifier }>;
}

export function createOidcSession(o: Readonly<LoginOptions>, d: LoginDeps): OidcSession {
  let pending: Promise<{ metadata: ProviderMetadata; verifier: IdTokenVerifier }> | undefined;
  return {
    get() {
      pending ??= (async () => {
        const metadata = await discoverProvider(o.provider, { signal: d.signal });
        const verifier = await createIdTokenVerifier({
          issuer: metadata.issuer,
          clientId: o.clientId,
          jwksUri: metadata.jwks_uri,
          clock: d.clock,
        });
        return { metadata, verifier };
      })();
      pending.catch(() => (pending = undefined));
      return pending;
    },
  };
}
