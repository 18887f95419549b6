/**
 * @module `login` flags (compatible with the original tool). The sign-in flags (provider, client, scopes, context,
 * callback, browser, device flow) are one group, SIGN_IN, which every caller of the ID token use case lists.
 */

import { defineSpec, type FlagSpec } from "../../shared/cli.ts";
import {
  callbackPortFlag,
  clientIdFlag,
  clientSecretFlag,
  contextNameFlag,
  INSECURE_PROVIDER_FLAG,
  PROFILE_FLAG,
  providerFlag,
  serverCaFlag,
  serverFlag,
  talosconfigFlag,
  VERBOSE_FLAG,
} from "../flags.ts";

export const DEFAULT_SCOPES = ["openid", "profile", "email", "offline_access"];

/** --local-server-cert / --local-server-key: the loopback callback over https:// (login and setup). */
export const LOCAL_SERVER_FLAGS = [
  {
    name: "local-server-cert",
    type: "string",
    arg: "PATH",
    description: "PEM certificate to serve the callback over https:// (needs --local-server-key)",
  },
  { name: "local-server-key", type: "string", arg: "PATH", description: "PEM private key of --local-server-cert" },
] as const satisfies readonly FlagSpec[];

/** The flags that say how to get an ID token, by role; login lists them in its own order. */
export const SIGN_IN = {
  profile: PROFILE_FLAG,
  provider: providerFlag("OIDC issuer URL"),
  insecureProvider: INSECURE_PROVIDER_FLAG,
  clientId: clientIdFlag("OIDC client ID"),
  clientSecret: clientSecretFlag("client secret for confidential clients (sent as client_secret_post)"),
  scopes: {
    name: "scopes",
    type: "string",
    multiple: true,
    default: DEFAULT_SCOPES,
    env: "TALOSCTL_OIDC_SCOPES",
    arg: "LIST",
    description: "scopes to request, comma-separated (openid is always added)",
  },
  callbackPort: callbackPortFlag("loopback callback port"),
  listenAddress: {
    name: "listen-address",
    type: "string",
    multiple: true,
    arg: "HOST:PORT",
    description: "callback bind address, overrides --callback-port; the first one builds the redirect URI",
  },
  redirectUrl: {
    name: "oidc-redirect-url",
    type: "string",
    arg: "URL",
    description: "exact redirect URI sent to the IdP",
  },
  localServerCert: LOCAL_SERVER_FLAGS[0],
  localServerKey: LOCAL_SERVER_FLAGS[1],
  contextName: contextNameFlag("talosconfig context name"),
  skipOpenBrowser: {
    name: "skip-open-browser",
    type: "boolean",
    description: "print the URL instead of opening a browser",
  },
  browserCommand: {
    name: "browser-command",
    type: "string",
    arg: "CMD",
    description:
      "command that opens the URL (gets the URL as one argument; default $BROWSER, else the system's opener)",
  },
  deviceCode: {
    name: "device-code",
    type: "boolean",
    description: "use the device flow (RFC 8628) instead of the browser",
  },
  verbose: VERBOSE_FLAG,
} as const satisfies Record<string, FlagSpec>;

/** The sign-in flags as a list, for a command that takes them as they are. */
export const SIGN_IN_FLAGS = Object.values(SIGN_IN);

/** Which IdP and client, and what to ask for: the kube commands' first flags (their context name comes next). */
export const SIGN_IN_IDP = [
  SIGN_IN.profile,
  SIGN_IN.provider,
  SIGN_IN.clientId,
  SIGN_IN.clientSecret,
  SIGN_IN.scopes,
] as const;

/** How a browser or device sign-in runs when one is needed, and -v: the kube commands' last flags. */
export const SIGN_IN_BROWSER = [
  SIGN_IN.callbackPort,
  SIGN_IN.listenAddress,
  SIGN_IN.redirectUrl,
  SIGN_IN.localServerCert,
  SIGN_IN.localServerKey,
  SIGN_IN.insecureProvider,
  SIGN_IN.skipOpenBrowser,
  SIGN_IN.browserCommand,
  SIGN_IN.deviceCode,
  SIGN_IN.verbose,
] as const;

export const loginSpec = defineSpec({
  name: "login",
  usage:
    "talosctl-oidc login --provider URL --client-id ID --server URL [flags]\n  talosctl-oidc login --profile NAME [flags]",
  description: `
Reuses what it can: a certificate with more than a third of its lifetime left means nothing to do; else a cached
ID token, else the refresh token, else a browser login (Authorization Code + PKCE on a loopback callback), or the
device flow with --device-code or on a machine without a display. The key is made here; only a CSR is sent.
Two logins for the same context at once open one browser: the second waits and reuses the result.
With --profile NAME the values saved by "talosctl-oidc setup" fill in what flags and env vars do not give.`,
  flags: [
    SIGN_IN.profile,
    SIGN_IN.provider,
    SIGN_IN.clientId,
    serverFlag("exchange server URL"),
    SIGN_IN.clientSecret,
    SIGN_IN.scopes,
    SIGN_IN.callbackPort,
    SIGN_IN.listenAddress,
    SIGN_IN.redirectUrl,
    SIGN_IN.localServerCert,
    SIGN_IN.localServerKey,
    SIGN_IN.contextName,
    talosconfigFlag("talosconfig to update"),
    serverCaFlag("PEM CA trusted (only) for the exchange server"),
    {
      name: "insecure",
      type: "boolean",
      description: "allow an http:// server URL (TLS of https:// servers is always verified)",
    },
    SIGN_IN.insecureProvider,
    { name: "nodes", type: "string", multiple: true, arg: "LIST", description: "nodes to set in the context" },
    {
      name: "switch",
      type: "boolean",
      default: true,
      description: "make the context the talosconfig's current one (--no-switch: keep the current one)",
    },
    { name: "watch", type: "boolean", description: "stay in the foreground and renew the certificate" },
    {
      name: "force",
      type: "boolean",
      description: "sign in afresh: ignore the certificate and cached tokens, and let the IdP ask who signs in",
    },
    SIGN_IN.skipOpenBrowser,
    SIGN_IN.browserCommand,
    SIGN_IN.deviceCode,
    SIGN_IN.verbose,
  ],
  examples: [
    "talosctl-oidc login --profile prod                # values saved by talosctl-oidc setup --profile prod",
    "talosctl-oidc login --provider https://id.example.com --client-id talosctl --server https://talos-oidc.example.com",
    "TALOSCTL_OIDC_PROVIDER=https://id.example.com TALOSCTL_OIDC_CLIENT_ID=talosctl \\\n" +
    "    TALOSCTL_OIDC_SERVER=https://talos-oidc.example.com talosctl-oidc login --context-name prod --watch",
    "talosctl-oidc login ... --device-code            # on a machine without a browser",
    "talosctl-oidc login ... --force                  # sign in again, e.g. as another account or with new scopes",
    "talosctl-oidc login ... --listen-address 127.0.0.1:18000 --skip-open-browser   # over ssh -L 18000:...",
  ],
});
