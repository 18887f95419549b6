/**
 * @module Parse login's flags once into the frozen input of runLogin, and the SIGN_IN flags of any command into the
 * input of the ID token use case (toSignInInput).
 */

import { type FlagValues, type ParsedArgs, requireFlags } from "../../shared/cli.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { type LOCAL_SERVER_FLAGS, loginSpec, SIGN_IN_FLAGS } from "./flags.ts";

/**
 * What getting an ID token needs: who to ask (IdP, client, scopes), which cache entry to use (context), and how to
 * sign in interactively when the cache and the refresh token do not do. Every caller of the ID token use case
 * (login, kube token) parses the SIGN_IN flags into this with toSignInInput.
 */
export interface SignInInput {
  provider: string;
  /** --insecure-provider: a plain http:// provider off loopback is accepted (client/oidc/discovery.ts). */
  insecureProvider: boolean;
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
  /** --force: sign in afresh (no valid certificate, cached ID token or refresh token is used). */
  force: boolean;
  /** --switch (default): the written context becomes the talosconfig's current one; --no-switch keeps it. */
  switchContext: boolean;
}

/** Parsed flags that include the SIGN_IN group (any command's that lists them). */
export interface SignInArgs {
  values: FlagValues<typeof SIGN_IN_FLAGS>;
  positionals: string[];
  explicit: ReadonlySet<string>;
}

/**
 * Turn the SIGN_IN flags of `command` into its sign-in input.
 * @throws {TalosOidcError} ERR_USAGE listing every missing required flag at once, or a bad value.
 */
export function toSignInInput(p: SignInArgs, command: string): Readonly<SignInInput> {
  const who = requireFlags({ name: command, flags: SIGN_IN_FLAGS }, p.values, ["provider", "client-id"], hint(command));
  return Object.freeze(signInFields(p, command, who));
}

/**
 * Turn parsed flags into the login input.
 * @throws {TalosOidcError} ERR_USAGE listing every missing required flag at once, or a bad value.
 */
export function toLoginInput(p: ParsedArgs<typeof loginSpec.flags>): Readonly<LoginInput> {
  const v = p.values;
  const { server, ...who } = requireFlags(loginSpec, v, ["provider", "client-id", "server"], hint("login"));
  if (p.positionals.length > 0) {
    throw new TalosOidcError("ERR_USAGE", `login: unexpected argument "${p.positionals[0]}"`, {
      hint: `run "talosctl-oidc login --help" for the flags`,
    });
  }
  return Object.freeze({
    ...signInFields(p, "login", who),
    server,
    talosconfig: v.talosconfig || undefined,
    serverCa: v["server-ca"] || undefined,
    insecure: v.insecure,
    nodes: v.nodes,
    watch: v.watch,
    force: v.force,
    switchContext: v.switch,
  });
}

/**
 * The callback's TLS pair paths as given (`~` not yet expanded), or undefined when neither flag is set.
 * @throws {TalosOidcError} ERR_USAGE when only one of the two is given.
 */
export function localServerPair(
  v: FlagValues<typeof LOCAL_SERVER_FLAGS>,
  command: string,
): { cert: string; key: string } | undefined {
  const cert = v["local-server-cert"] || undefined, key = v["local-server-key"] || undefined;
  if (Boolean(cert) !== Boolean(key)) {
    const [given, other] = cert ? ["cert", "key"] : ["key", "cert"];
    throw new TalosOidcError("ERR_USAGE", `${command}: --local-server-${given} needs --local-server-${other}`, {
      hint: "serving the callback over TLS needs both a certificate and its private key",
    });
  }
  return cert && key ? { cert, key } : undefined;
}

function hint(command: string): string {
  return `pass --profile NAME (saved by "talosctl-oidc setup"), or run "talosctl-oidc ${command} --help" for the flags`;
}

/** The sign-in fields, given the required ones (checked by requireFlags). */
function signInFields(
  p: SignInArgs,
  command: string,
  who: { provider: string; "client-id": string },
): SignInInput {
  const v = p.values;
  const port = v["callback-port"];
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw new TalosOidcError("ERR_USAGE", `invalid --callback-port "${port}"`, { hint: "use 0-65535 (0: any port)" });
  }
  const pair = localServerPair(v, command);
  const listen = v["listen-address"];
  const scopes = v.scopes;
  if (v["context-name"].trim() === "") throw new TalosOidcError("ERR_USAGE", "--context-name must not be empty");
  return {
    provider: who.provider,
    insecureProvider: v["insecure-provider"],
    clientId: who["client-id"],
    clientSecret: v["client-secret"] || undefined,
    scopes: scopes.includes("openid") ? scopes : ["openid", ...scopes],
    listenAddresses: listen.length > 0 ? listen : [`127.0.0.1:${Number(port)}`],
    explicitCallback: listen.length > 0 || p.explicit.has("callback-port") || Boolean(v["oidc-redirect-url"]) ||
      Boolean(pair),
    redirectUrl: v["oidc-redirect-url"] || undefined,
    ...(pair ? { localServerCert: pair.cert, localServerKey: pair.key } : {}),
    contextName: v["context-name"],
    skipOpenBrowser: v["skip-open-browser"],
    browserCommand: v["browser-command"] || undefined,
    deviceCode: v["device-code"],
    verbose: v.verbose,
  };
}
