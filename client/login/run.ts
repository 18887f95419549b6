/**
 * @module One sign-in run as one object: the input, the adapters, the IdP (discovery and ID token verifier, fetched
 * once, lazily) and the browser-tab budget. `login` extends it with its target; `kube token` uses it as is.
 */

import { isLoopbackHost } from "../../shared/issuer.ts";
import type { ProviderMetadata } from "../oidc/discovery.ts";
import type { ClientIdTokenVerifier } from "../oidc/id_token.ts";
import type { LoginDeps } from "./deps.ts";
import type { SignInInput } from "./input.ts";

/** The IdP as one run sees it. */
export interface Idp {
  metadata: ProviderMetadata;
  verifier: ClientIdTokenVerifier;
}

/**
 * Whether this run may open a browser tab by itself. It starts with one tab; opening a tab spends it; a refresh
 * token the IdP refuses, or a pass that got a certificate, earns it back. So `login --watch` opens at most one tab
 * per failed refresh, however often a renewal is retried, and otherwise prints the URL.
 */
class BrowserBudget {
  #mayOpen = true;

  /** Spend the tab: true when it was there (open the browser), false when already spent (print the URL). */
  take(): boolean {
    const had = this.#mayOpen;
    this.#mayOpen = false;
    return had;
  }

  /** Earn the tab back: the next sign-in may open one again. */
  earn(): void {
    this.#mayOpen = true;
  }
}

/** What every step of a sign-in receives, instead of threading options, adapters, session and budget apart. */
export interface SignInRun {
  readonly input: Readonly<SignInInput>;
  readonly deps: LoginDeps;
  /** Discover the IdP and build the verifier on first use; a failure is retried on the next call. */
  idp(): Promise<Idp>;
  readonly browserTabs: BrowserBudget;
}

/** Start a run. Nothing goes over the network until a step asks for the IdP. */
export function createSignInRun(input: Readonly<SignInInput>, deps: LoginDeps): SignInRun {
  let pending: Promise<Idp> | undefined;
  return {
    input,
    deps,
    browserTabs: new BrowserBudget(),
    idp() {
      pending ??= (async () => {
        // Loaded on first use: kube token answering from the cache (kubectl runs it for every command) needs neither.
        const [{ discoverProvider }, { createClientIdTokenVerifier }] = await Promise.all([
          import("../oidc/discovery.ts"),
          import("../oidc/id_token.ts"),
        ]);
        const metadata = await discoverProvider(input.provider, {
          signal: deps.signal,
          allowPlainHttp: input.insecureProvider,
        });
        if (input.insecureProvider) warnPlainHttp(metadata, deps.logger);
        const verifier = await createClientIdTokenVerifier({
          issuer: metadata.issuer,
          clientId: input.clientId,
          jwksUri: metadata.jwks_uri,
          clock: deps.clock,
        });
        return { metadata, verifier };
      })();
      pending.catch(() => (pending = undefined));
      return pending;
    },
  };
}

/** --insecure-provider is loud: every plain http:// endpoint off loopback is named each time it is used. */
function warnPlainHttp(metadata: ProviderMetadata, logger: { warn(msg: string): void }): void {
  const plain = [metadata.issuer, metadata.authorization_endpoint, metadata.token_endpoint]
    .filter((u) => u.startsWith("http:") && !isLoopbackHost(new URL(u).hostname));
  if (plain.length === 0) return;
  logger.warn(`--insecure-provider: the sign-in goes over plain HTTP to ${[...new Set(plain)].join(", ")}`);
}
