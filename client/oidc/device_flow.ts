/** @module Device Authorization Grant (RFC 8628): show a URL and a code, poll until approved, denied or expired. */

import { TalosOidcError } from "../../shared/errors.ts";
import type { Clock } from "../../shared/clock.ts";
import type { Logger } from "../../shared/log.ts";
import type { ProviderMetadata } from "./discovery.ts";
import { excerpt, type Fetch, postForm } from "./http.ts";
import { type ClientAuth, describeOAuthError, requestToken, type TokenSet } from "./token_endpoint.ts";

/** What the user is asked to do (RFC 8628 §3.2). */
export interface DeviceCodePrompt {
  verification_uri: string;
  verification_uri_complete?: string;
  user_code: string;
  /** Seconds until the device code expires. */
  expires_in: number;
}

export interface DeviceFlowOptions {
  metadata: ProviderMetadata;
  client: ClientAuth;
  scopes: string[];
  /** Tell the user where to go and which code to enter. */
  prompt(p: DeviceCodePrompt): void;
  /** Wait `ms` or until `signal` aborts (injected so tests need not sleep for real). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
  fetch?: Fetch;
}

/**
 * Run the device flow to the end.
 * @throws {TalosOidcError} ERR_OIDC (no device endpoint, access_denied, other IdP errors, as is),
 *   ERR_TIMEOUT (expired_token or the code's lifetime passed).
 */
export async function runDeviceFlow(o: DeviceFlowOptions): Promise<TokenSet & { id_token?: string }> {
  const endpoint = o.metadata.device_authorization_endpoint;
  if (!endpoint) {
    throw new TalosOidcError("ERR_OIDC", `the IdP "${o.metadata.issuer}" does not offer the device flow`, {
      hint: "enable the device authorization grant for this client, or log in without --device-code",
    });
  }
  const http = { fetch: o.fetch, signal: o.signal };
  const res = await postForm(endpoint, {
    client_id: o.client.clientId,
    client_secret: o.client.clientSecret,
    scope: o.scopes.join(" "),
  }, http);
  const body = res.json as Record<string, unknown> | undefined;
  if (res.status !== 200 || !body || typeof body.device_code !== "string" || typeof body.user_code !== "string") {
    const why = body && typeof body.error === "string"
      ? describeOAuthError(body as { error: string; error_description?: string })
      : `HTTP ${res.status}: ${excerpt(res.text)}`;
    throw new TalosOidcError("ERR_OIDC", `starting the device login failed: ${why}`, {
      ...(body?.error === "invalid_client" || body?.error === "unauthorized_client"
        ? {
          hint: `check --client-id "${o.client.clientId}": the IdP does not know that client, or it may not use the ` +
            "device flow (enable the device code grant for it), or it is confidential and needs --client-secret",
        }
        : {}),
    });
  }
  const expiresIn = positive(body.expires_in, 600);
  let intervalMs = positive(body.interval, 5) * 1000; // RFC 8628 §3.2: default 5 s
  o.prompt({
    verification_uri: String(body.verification_uri ?? body.verification_url ?? ""),
    ...(typeof body.verification_uri_complete === "string"
      ? { verification_uri_complete: body.verification_uri_complete }
      : {}),
    user_code: body.user_code,
    expires_in: expiresIn,
  });
  const deadline = o.clock.now().getTime() + expiresIn * 1000;
  const deviceCode = body.device_code;
  while (true) {
    await o.sleep(intervalMs, o.signal); // §3.4: wait the interval before each poll
    const r = await requestToken(o.metadata.token_endpoint, o.client, {
      grant_type: "urn:ietf:params:oauth:grant-type:device_code",
      device_code: deviceCode,
    }, http);
    if (r.ok) return r.tokens;
    switch (r.error.error) {
      case "authorization_pending":
        break;
      case "slow_down": // §3.5: add 5 seconds to this and all later polls
        intervalMs += 5000;
        o.logger.debug("the IdP asked to slow down", { interval_seconds: intervalMs / 1000 });
        break;
      case "expired_token":
        throw expired();
      case "access_denied":
        throw new TalosOidcError("ERR_OIDC", `the device login was denied: ${describeOAuthError(r.error)}`);
      default:
        throw new TalosOidcError("ERR_OIDC", `the device login failed: ${describeOAuthError(r.error)}`);
    }
    if (o.clock.now().getTime() + intervalMs > deadline) throw expired();
  }
}

function expired(): TalosOidcError {
  return new TalosOidcError("ERR_TIMEOUT", "the device code expired before the login was approved", {
    hint: "run login again and approve it in time",
  });
}

function positive(v: unknown, fallback: number): number {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}
