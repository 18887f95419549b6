/** @module Test helper: register an https:// loopback callback with the test IdP (for --local-server-cert tests). */

import type { TestIdp } from "./idp.ts";

/**
 * Let the test IdP accept `https://127.0.0.1:<port>/callback`, exactly. oidc-provider refuses https:// loopback
 * redirect URIs for native clients at registration (RFC 8252 §7.3 expects http:// there), but matches a registered
 * URI exactly at authorization, so the URI is added to the loaded client, as an IdP admin would register it.
 */
export async function allowHttpsCallback(idp: TestIdp): Promise<number> {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  // deno-lint-ignore no-explicit-any
  const client: any = await (idp.provider as any).Client.find(idp.clientId);
  client.redirectUris.push(`https://127.0.0.1:${port}/callback`);
  return port;
}
