/** @module Config for the issuing backend: local_ca (the OS CA key held here) or talos_api (a credential or socket). */

import { Secret } from "../shared/secret.ts";
import type { CaSource, PemSource } from "./config.ts";
import { parseEndpoint } from "./talos_api/endpoint.ts";
import type { IssuerBackend } from "./talos_ca/types.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** Where the talos_api backend gets its authority. */
export type TalosApiConfig =
  | {
    readonly kind: "talosconfig";
    readonly path: string;
    /** Which setting named the file, for messages: talos_config, TALOSCONFIG or the default path. */
    readonly from: string;
    /** Where the server calls the Talos API: talos_api_endpoints, else `endpoints`. */
    readonly endpoints: readonly string[];
    readonly timeoutMs: number;
  }
  | { readonly kind: "socket"; readonly path: string; readonly timeoutMs: number };

export interface IssuingConfig {
  issuerBackend: IssuerBackend;
  /** The OS CA (local_ca only). */
  ca?: CaSource;
  /** The Talos API credential (talos_api only). */
  talosApi?: TalosApiConfig;
}

export interface IssuingReaders {
  str: (k: string) => string | undefined;
  list: (k: string) => string[];
  secret: (k: string) => Secret | undefined;
  duration: (k: string, def: string, min: number, max: number) => number;
  fail: (k: string, m: string) => void;
  warn: (m: string) => void;
  env: Env;
  /** The `endpoints` list: talos_api calls them, so each must be `host[:port]`. */
  endpoints: readonly string[];
}

const CA_KEYS = ["talos_secrets", "ca_cert", "ca_key", "ca_cert_data", "ca_key_data"] as const;
const BACKENDS: readonly IssuerBackend[] = ["local_ca", "talos_api"];
/** The talos.dev ServiceAccount's talosconfig, where Kubernetes mounts it (talosctl's last fallback too). */
export const SERVICE_ACCOUNT_TALOSCONFIG = "/var/run/secrets/talos.dev/config";

/**
 * `issuer_backend` (default: local_ca when a CA is configured, else talos_api), then that backend's source.
 * A CA and a Talos API credential together without issuer_backend is an error naming both.
 */
export function parseIssuing(r: IssuingReaders): IssuingConfig {
  const text = r.str("issuer_backend");
  const caKeys = CA_KEYS.filter((k) => r.str(k) !== undefined);
  const apiKeys = (["talos_config", "talos_socket"] as const).filter((k) => r.str(k) !== undefined);
  let backend: IssuerBackend;
  if (text !== undefined) {
    if (!(BACKENDS as readonly string[]).includes(text)) {
      r.fail("issuer_backend", `"${text}" is not a backend: use local_ca or talos_api`);
    }
    backend = text === "local_ca" ? "local_ca" : "talos_api";
  } else if (caKeys.length > 0 && apiKeys.length > 0) {
    r.fail(
      "issuer_backend",
      `both a Talos CA (${caKeys.join(", ")}) and a Talos API credential (${apiKeys.join(", ")}) are configured: ` +
        "set issuer_backend to local_ca (sign with the CA) or talos_api (ask Talos; the server holds no CA key)",
    );
    backend = "local_ca";
  } else backend = caKeys.length > 0 ? "local_ca" : "talos_api";

  if (backend === "local_ca") {
    if (apiKeys.length > 0 && text !== undefined) {
      r.warn(`${apiKeys.join(", ")} ignored: issuer_backend is local_ca (certificates are signed with the CA here)`);
    }
    return { issuerBackend: backend, ca: parseCaSource(r) };
  }
  if (caKeys.length > 0) {
    r.warn(
      `${caKeys.join(", ")} ignored: issuer_backend is talos_api; remove the CA from this server's configuration`,
    );
  }
  const own = r.list("talos_api_endpoints");
  const key = own.length > 0 ? "talos_api_endpoints" : "endpoints";
  const endpoints = own.length > 0 ? own : [...r.endpoints];
  for (const e of endpoints) {
    if (!parseEndpoint(e)) r.fail(key, `"${e}" is not host, host:port or [IPv6]:port (the port defaults to 50000)`);
  }
  const timeoutMs = r.duration("talos_api_timeout", "5s", 1000, 60_000);
  return { issuerBackend: backend, talosApi: parseTalosApi(r, timeoutMs, endpoints) };
}

function parseTalosApi(r: IssuingReaders, timeoutMs: number, endpoints: string[]): TalosApiConfig {
  const socket = r.str("talos_socket"), file = r.str("talos_config");
  if (socket && file) r.fail("talos_socket", "set talos_config or talos_socket, not both");
  if (socket) {
    if (!socket.startsWith("/")) r.fail("talos_socket", `"${socket}" must be an absolute path`);
    return { kind: "socket", path: socket, timeoutMs };
  }
  const home = r.env.HOME;
  const expand = (p: string) => (home && (p === "~" || p.startsWith("~/")) ? home + p.slice(1) : p);
  const at = (path: string, from: string): TalosApiConfig => ({
    kind: "talosconfig",
    path,
    from,
    endpoints,
    timeoutMs,
  });
  if (file) return at(expand(file), "talos_config / TALOSCTL_OIDC_TALOS_CONFIG");
  if (r.env.TALOSCONFIG) return at(expand(r.env.TALOSCONFIG), "TALOSCONFIG");
  if (home) return at(`${home}/.talos/config`, "the default ~/.talos/config");
  r.fail("talos_config", `no Talos API credential: ${NO_CREDENTIAL_HINT}`);
  return at("", "talos_config / TALOSCTL_OIDC_TALOS_CONFIG");
}

export const NO_CREDENTIAL_HINT = "set talos_config to a talosconfig whose certificate has os:admin " +
  "(talosctl config new --roles os:admin --crt-ttl 8760h talosctl-oidc.talosconfig), or TALOSCONFIG (set by a " +
  "talos.dev ServiceAccount), or talos_socket on a control-plane node; or hold the OS CA here: " +
  "issuer_backend local_ca with talos_secrets, ca_cert + ca_key, or ca_cert_data + ca_key_data";

function parseCaSource(r: IssuingReaders): CaSource {
  const { str, secret, fail } = r;
  const secrets = str("talos_secrets");
  const certPath = str("ca_cert"), certData = str("ca_cert_data");
  const keyPath = str("ca_key"), keyData = secret("ca_key_data");
  const any = certPath || certData || keyPath || keyData;
  if (secrets) {
    if (any) fail("talos_secrets", "set either talos_secrets or ca_cert/ca_key (or their _data forms), not both");
    return { kind: "talos_secrets", path: secrets };
  }
  if (certPath && certData) fail("ca_cert", "set ca_cert or ca_cert_data, not both");
  if (keyPath && keyData) fail("ca_key", "set ca_key or ca_key_data, not both");
  if (!any) {
    fail(
      "talos_secrets",
      "issuer_backend is local_ca but no Talos CA is configured: set talos_secrets (secrets.yaml or " +
        "controlplane.yaml), or ca_cert and ca_key (paths), or ca_cert_data and ca_key_data (PEM or base64 of PEM)",
    );
  } else if (!certPath && !certData) {
    fail("ca_cert", "the CA key is set but not the CA certificate (ca_cert or ca_cert_data)");
  } else if (!keyPath && !keyData) fail("ca_key", "the CA certificate is set but not its key (ca_key or ca_key_data)");
  const cert: PemSource = certPath ? { path: certPath } : { inline: new Secret(certData ?? "") };
  const key: PemSource = keyPath ? { path: keyPath } : { inline: keyData ?? new Secret("") };
  return { kind: "pem", cert, key };
}
