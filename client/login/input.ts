/** @module `login` flags (compatible with the original tool) parsed once into the frozen input of runLogin. */

import { type CommandSpec, type FlagSpec, list, type ParsedArgs, str } from "../../shared/cli.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { PROFILE_FLAG } from "../profiles.ts";
import { contextNameFlag, talosconfigFlag } from "../flags.ts";

export const DEFAULT_SCOPES = ["openid", "profile", "email", "offline_access"];

/** --local-server-cert / --local-server-key: the loopback callback over https:// (login and setup). */
export const LOCAL_SERVER_FLAGS: FlagSpec[] = [
  {
    name: "local-server-cert",
    type: "string",
    arg: "PATH",
    description: "PEM certificate to serve the callback over https:// (needs --local-server-key)",
  },
  { name: "local-server-key", type: "string", arg: "PATH", description: "PEM private key of --local-server-cert" },
];

/**
 * The callback's TLS pair paths as given (`~` not yet expanded), or undefined when neither flag is set.
 * @throws {TalosOidcError} ERR_USAGE when only one of the two is given.
 */
export function localServerPair(v: ParsedArgs["values"], command: string): { cert: string; key: string } | undefined {
  const cert = str(v, "local-server-cert") || undefined, key = str(v, "local-server-key") || undefined;
  if (Boolean(cert) !== Boolean(key)) {
    const [given, other] = cert ? ["cert", "key"] : ["key", "cert"];
    throw new TalosOidcError("ERR_USAGE", `${command}: --local-server-${given} needs --local-server-${other}`, {
      hint: "serving the callback over TLS needs both a certificate and its private key",
    });
  }
  return cert && key ? { cert, key } : undefined;
}

export const loginSpec: CommandSpec = {
  name: "login",
  summary: "Sign in with your IdP and write a Talos context into your talosconfig",
  usage:
    "talosctl-oidc login --provider URL --client-id ID --server URL [flags]\n  talosctl-oidc login --profile NAME [flags]",
  description: `
Reuses what it can: a certificate with more than a third of its lifetime left means nothing to do; else a cached
ID token, else the refresh token, else a browser login (Authorization Code + PKCE on a loopback callback), or the
device flow with --device-code or on a machine without a display. The key is made here; only a CSR is sent.
Two logins for the same context at once open one browser: the second waits and reuses the result.
With --profile NAME the values saved by "talosctl-oidc setup" fill in what flags and env vars do not give.`,
  flags: [
    PROFILE_FLAG,
    { name: "provider", type: "string", env: "TALOSCTL_OIDC_PROVIDER", arg: "URL", description: "OIDC issuer URL" },
    { name: "client-id", type: "string", env: "TALOSCTL_OIDC_CLIENT_ID", arg: "ID", description: "OIDC client ID" },
    { name: "server", type: "string", env: "TALOSCTL_OIDC_SERVER", arg: "URL", description: "exchange server URL" },
    {
      name: "client-secret",
      type: "string",
      env: "TALOSCTL_OIDC_CLIENT_SECRET",
      arg: "SECRET",
      description: "client secret for confidential clients (sent as client_secret_post)",
    },
    {
      name: "scopes",
      type: "string",
      multiple: true,
      default: DEFAULT_SCOPES,
      arg: "LIST",
      description: "scopes to request (openid is always added)",
    },
    { name: "callback-port", type: "string", default: "8900", arg: "PORT", description: "loopback callback port" },
    {
      name: "listen-address",
      type: "string",
      multiple: true,
      arg: "HOST:PORT",
      description: "callback bind address, overrides --callback-port; the first one builds the redirect URI",
    },
    { name: "oidc-redirect-url", type: "string", arg: "URL", description: "exact redirect URI sent to the IdP" },
    ...LOCAL_SERVER_FLAGS,
    contextNameFlag("talosconfig context name"),
    talosconfigFlag("talosconfig to update"),
    { name: "server-ca", type: "string", arg: "PATH", description: "PEM CA trusted (only) for the exchange server" },
    {
      name: "insecure",
      type: "boolean",
      description: "allow an http:// server URL (TLS of https:// servers is always verified)",
    },
    { name: "nodes", type: "string", multiple: true, arg: "LIST", description: "nodes to set in the context" },
    { name: "watch", type: "boolean", description: "stay in the foreground and renew the certificate" },
    { name: "skip-open-browser", type: "boolean", description: "print the URL instead of opening a browser" },
    { name: "browser-command", type: "string", arg: "CMD", description: "command that opens the URL (one argument)" },
    { name: "device-code", type: "boolean", description: "use the device flow (RFC 8628) instead of the browser" },
    { name: "verbose", short: "v", type: "boolean", description: "debug output" },
  ],
  examples: [
    "talosctl-oidc login --profile prod                # values saved by talosctl-oidc setup --profile prod",
    "talosctl-oidc login --provider https://id.example.com --client-id talosctl --server https://talos-oidc.example.com",
    "TALOSCTL_OIDC_PROVIDER=https://id.example.com TALOSCTL_OIDC_CLIENT_ID=talosctl \\\n" +
    "    TALOSCTL_OIDC_SERVER=https://talos-oidc.example.com talosctl-oidc login --context-name prod --watch",
    "talosctl-oidc login ... --device-code            # on a machine without a browser",
    "talosctl-oidc login ... --listen-address 127.0.0.1:18000 --skip-open-browser   # over ssh -L 18000:...",
  ],
};

/**
 * What getting an ID token needs: who to ask (IdP, client, scopes), which cache entry to use (context), and how to
 * sign in interactively when the cache and the refresh token do not do. Every caller of the ID token use case
 * (login, kube token) parses the same provider flags into this.
 */
export interface SignInInput {
  provider: string;
  clientId: string;
  clientSecret?: string;
  /** Always includes "openid". */
  scopes: string[];
  /** The talosconfig context, which also names the token cache entry. */
  contextName: string;
  listenAddresses: string[];
  /** The user chose where the callback listens or points (no automatic device flow then). */
  explicitCallback: boolean;
  redirectUrl?: string;
  /** --local-server-cert / --local-server-key: serve the callback over TLS (both or neither; `~` not yet expanded). */
  localServerCert?: string;
  localServerKey?: string;
  skipOpenBrowser: boolean;
  browserCommand?: string;
  deviceCode: boolean;
  verbose: boolean;
}

/** Everything `login` needs, parsed and checked once: the sign-in, then the exchange server and the talosconfig. */
export interface LoginInput extends SignInInput {
  server: string;
  talosconfig?: string;
  serverCa?: string;
  insecure: boolean;
  nodes: string[];
  watch: boolean;
}

/**
 * Turn parsed flags into the login input.
 * @throws {TalosOidcError} ERR_USAGE listing every missing required flag at once, or a bad value.
 */
export function toLoginInput(p: ParsedArgs): Readonly<LoginInput> {
  const v = p.values;
  const missing = ([["provider", "PROVIDER"], ["client-id", "CLIENT_ID"], ["server", "SERVER"]] as const)
    .filter(([f]) => !str(v, f)).map(([f, e]) => `--${f} (or TALOSCTL_OIDC_${e})`);
  if (missing.length > 0) {
    throw new TalosOidcError("ERR_USAGE", `login: missing ${missing.join(", ")}`, {
      hint: `pass --profile NAME (saved by "talosctl-oidc setup"), or run "talosctl-oidc login --help" for the flags`,
    });
  }
  if (p.positionals.length > 0) {
    throw new TalosOidcError("ERR_USAGE", `login: unexpected argument "${p.positionals[0]}"`, {
      hint: `run "talosctl-oidc login --help" for the flags`,
    });
  }
  const port = str(v, "callback-port") ?? "8900";
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw new TalosOidcError("ERR_USAGE", `invalid --callback-port "${port}"`, { hint: "use 0-65535 (0: any port)" });
  }
  const pair = localServerPair(v, "login");
  const listen = list(v, "listen-address");
  const scopes = list(v, "scopes");
  const contextName = str(v, "context-name") ?? "oidc";
  if (contextName.trim() === "") throw new TalosOidcError("ERR_USAGE", "--context-name must not be empty");
  return Object.freeze({
    provider: str(v, "provider")!,
    clientId: str(v, "client-id")!,
    server: str(v, "server")!,
    clientSecret: str(v, "client-secret") || undefined,
    scopes: scopes.includes("openid") ? scopes : ["openid", ...scopes],
    listenAddresses: listen.length > 0 ? listen : [`127.0.0.1:${Number(port)}`],
    explicitCallback: listen.length > 0 || p.explicit.has("callback-port") || Boolean(str(v, "oidc-redirect-url")) ||
      Boolean(pair),
    redirectUrl: str(v, "oidc-redirect-url") || undefined,
    ...(pair ? { localServerCert: pair.cert, localServerKey: pair.key } : {}),
    contextName,
    talosconfig: str(v, "talosconfig") || undefined,
    serverCa: str(v, "server-ca") || undefined,
    insecure: v.insecure === true,
    nodes: list(v, "nodes"),
    watch: v.watch === true,
    skipOpenBrowser: v["skip-open-browser"] === true,
    browserCommand: str(v, "browser-command") || undefined,
    deviceCode: v["device-code"] === true,
    verbose: v.verbose === true,
  });
}
