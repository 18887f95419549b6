/** @module Count discovery + JWKS refreshes by watching the verifier's fetch (server/oidc needs no hook). */

import type { ServerMetrics } from "./server_metrics.ts";

const DISCOVERY_SUFFIX = "/.well-known/openid-configuration";

/**
 * Wrap the `fetch` handed to the ID token verifier. A refresh is a discovery request followed by
 * the JWKS request: a failed discovery counts one failure; otherwise the JWKS request's result
 * (2xx = success) counts once. Bodies are passed through untouched.
 */
export function countJwksRefreshes(
  inner: typeof fetch,
  metrics: Pick<ServerMetrics, "jwksRefresh">,
): typeof fetch {
  return async function countingFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const url = input instanceof Request ? input.url : String(input);
    const discovery = new URL(url).pathname.endsWith(DISCOVERY_SUFFIX);
    try {
      const res = await inner(input, init);
      if (!discovery || !res.ok) metrics.jwksRefresh(res.ok ? "success" : "failure");
      return res;
    } catch (err) {
      metrics.jwksRefresh("failure");
      throw err;
    }
  };
}
