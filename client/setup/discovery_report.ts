/**
 * @module What setup learns from the IdP's discovery document before logging in: PKCE S256, public clients,
 * device flow, refresh tokens and a groups scope, each as a verdict line, plus the scopes to ask for.
 */

import type { CheckResult } from "../doctor/types.ts";
import { discoveryUrl } from "../../shared/issuer.ts";
import { discoverProvider, type ProviderMetadata } from "../oidc/discovery.ts";
import { requestJson } from "../oidc/http.ts";

const BASE_SCOPES = ["openid", "profile", "email"];

export interface DiscoveryReport {
  metadata: ProviderMetadata;
  /** The raw document (for the fields ProviderMetadata leaves out). */
  raw: Record<string, unknown>;
  lines: CheckResult[];
  /** Scopes setup will ask for: base scopes, plus offline_access and groups where the IdP lists them. */
  scopes: string[];
  /** False when the IdP says PKCE S256 is unsupported: logging in would fail. */
  usable: boolean;
}

/**
 * Discover `issuer` and judge it for a public native client. Throws ERR_DISCOVERY (from discoverProvider).
 * `hasSecret`: the user passed --client-secret (then a confidential-only IdP is fine).
 */
export async function assessProvider(
  issuer: string,
  signal: AbortSignal,
  hasSecret: boolean,
  allowPlainHttp = false,
): Promise<DiscoveryReport> {
  const metadata = await discoverProvider(issuer, { signal, allowPlainHttp });
  const res = await requestJson(discoveryUrl(issuer), { method: "GET" }, {
    signal,
  });
  const raw = (res.json ?? {}) as Record<string, unknown>;
  const strings = (k: string) => (Array.isArray(raw[k]) ? (raw[k] as unknown[]).map(String) : undefined);
  const lines: CheckResult[] = [{
    name: "issuer",
    verdict: "ok",
    message: `${metadata.issuer} (discovery document found)`,
  }];
  let usable = true;

  const pkce = metadata.code_challenge_methods_supported;
  if (!pkce) {
    lines.push({
      name: "PKCE",
      verdict: "warn",
      message: "code_challenge_methods_supported is not advertised; most IdPs accept S256 anyway",
      hint: "if the login fails with an error about code_challenge, enable PKCE (S256) for the client",
    });
  } else if (pkce.includes("S256")) lines.push({ name: "PKCE", verdict: "ok", message: "S256 supported" });
  else {
    usable = false;
    lines.push({
      name: "PKCE",
      verdict: "fail",
      message: `S256 is not supported (only ${pkce.join(", ") || "nothing"})`,
      hint: "talosctl-oidc always uses PKCE S256 (RFC 7636); enable it at the IdP",
    });
  }

  const auth = strings("token_endpoint_auth_methods_supported");
  if (auth?.includes("none")) {
    lines.push({ name: "public client", verdict: "ok", message: "the IdP accepts public clients (auth method none)" });
  } else if (hasSecret) {
    lines.push({ name: "public client", verdict: "ok", message: "using the client secret you passed" });
  } else {
    lines.push({
      name: "public client",
      verdict: "warn",
      message: `token_endpoint_auth_methods_supported does not list "none" (${auth?.join(", ") ?? "not advertised"})`,
      hint: "make the client public (no client authentication); if the IdP insists on a secret, pass --client-secret",
    });
  }

  lines.push(
    metadata.device_authorization_endpoint
      ? {
        name: "device flow",
        verdict: "ok",
        message: "offered (login --device-code works where the client allows it)",
      }
      : {
        name: "device flow",
        verdict: "skip",
        message: "not offered by this IdP: headless machines use --skip-open-browser",
      },
  );

  const supported = strings("scopes_supported");
  const scopes = [...BASE_SCOPES];
  if (!supported || supported.includes("offline_access")) scopes.push("offline_access");
  else {
    lines.push({
      name: "refresh",
      verdict: "warn",
      message: "offline_access is not in scopes_supported: leaving it out (Google, for one, rejects it)",
    });
  }
  if (supported?.includes("groups")) {
    scopes.push("groups");
    lines.push({ name: "groups scope", verdict: "ok", message: `the IdP lists a "groups" scope; setup asks for it` });
  }
  return { metadata, raw, lines, scopes, usable };
}
