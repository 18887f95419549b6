/** @module Server configuration: pure parse of YAML file + environment into a frozen ServerConfig, every problem at once. */

import { parseDuration } from "../shared/duration.ts";
import { checkKeys } from "./config_keys.ts";
import { Secret } from "../shared/secret.ts";
import type { RbacRule } from "./rbac/types.ts";
import { type Limits, parseLimits } from "./config_limits.ts";
import { type IssuingConfig, parseIssuing } from "./config_issuing.ts";
import { parseScale, type ScaleConfig } from "./config_scale.ts";
import {
  checkIssuerUrl,
  checkRoles,
  describe,
  isIpOrCidr,
  NO_ROLES_PROBLEM,
  oneOf,
  parseListen,
  parseRbac,
  toMapping,
} from "./config_values.ts";

type Env = Readonly<Record<string, string | undefined>>;
type Kind = "string" | "list" | "bool" | "duration" | "int" | "secret";

/** Every scalar/list key of the file, its type; the env var is `TALOSCTL_OIDC_<KEY>`. */
export const CONFIG_KEYS: Readonly<Record<string, Kind>> = Object.freeze({
  issuer_url: "string",
  client_id: "string",
  endpoints: "list",
  nodes: "list",
  listen: "string",
  cert_ttl: "duration",
  max_token_age: "duration",
  jwks_removed_key_grace: "duration",
  roles: "list",
  ca_cert: "string",
  ca_key: "string",
  ca_cert_data: "string",
  ca_key_data: "secret",
  talos_secrets: "string",
  issuer_backend: "string",
  talos_config: "string",
  talos_socket: "string",
  talos_api_timeout: "duration",
  talos_api_endpoints: "list",
  tls_cert: "string",
  tls_key: "string",
  tls_san: "list",
  insecure: "bool",
  data_dir: "string",
  audit_log: "string",
  audit_hmac_key_file: "string",
  admin_token: "secret",
  metrics_token: "secret",
  rate_limit_requests: "int",
  rate_limit_window: "duration",
  rate_limit_per_subject: "int",
  ip_allowlist: "list",
  trusted_proxies: "list",
  max_connections: "int",
  workers: "string",
  state_store: "secret",
  state_store_password_file: "string",
  state_store_fail_open: "bool",
  replica_id: "string",
  log_format: "string",
});

/** Keys of the original tool we understand but do not use (warned about, never fatal: configs migrate as they are). */
export const LEGACY_KEYS: Readonly<Record<string, string>> = {
  client_secret: "ID tokens are verified with the issuer's public keys; a client secret is never needed",
  client_secret_file: "ID tokens are verified with the issuer's public keys; a client secret is never needed",
  cert_log: "issued certificates are recorded as cert_issued events in the audit log",
};

const CERT_TTL_MIN_MS = 60_000;
const CERT_TTL_MAX_MS = 24 * 3_600_000;
/** max_token_age bounds: below a minute refuses every real token, above a week is no bound at all. */
const MAX_TOKEN_AGE_MIN_MS = 60_000;
const MAX_TOKEN_AGE_MAX_MS = 7 * 24 * 3_600_000;

/** The environment variable that overrides `key`. */
function envName(key: string): string {
  return `TALOSCTL_OIDC_${key.toUpperCase()}`;
}

export type PemSource = { readonly path: string } | { readonly inline: Secret };
export type CaSource =
  | { readonly kind: "pem"; readonly cert: PemSource; readonly key: PemSource }
  | { readonly kind: "talos_secrets"; readonly path: string };
export type TlsConfig =
  | { readonly mode: "self-signed"; readonly san: readonly string[]; readonly dataDir?: string }
  | { readonly mode: "provided"; readonly certPath: string; readonly keyPath: string }
  | { readonly mode: "insecure" };

export type { TalosApiConfig } from "./config_issuing.ts";

export interface ServerConfig extends Limits, IssuingConfig, ScaleConfig {
  issuerUrl: string;
  clientId: string;
  endpoints: readonly string[];
  /** Returned to clients as `nodes` when non-empty. */
  nodes: readonly string[];
  /** As written (`:8443`), and split for Deno.serve (empty host = all IPv4 interfaces). */
  listen: { readonly text: string; readonly hostname: string; readonly port: number };
  certTtlMs: number;
  /** Largest ID-token lifetime (`exp - iat`) accepted. */
  maxTokenAgeMs: number;
  /** How long a key that left the issuer's JWKS still verifies (0 = not at all: the IdP decides). */
  jwksRemovedKeyGraceMs: number;
  /** Static roles: everyone's when there are no RBAC rules, else the roles of a token no rule matches. */
  roles: readonly string[];
  tls: TlsConfig;
  dataDir?: string;
  /** File path, or "-" for stdout. */
  auditLog: string;
  /** File holding the audit chain's HMAC key (read and checked by the loader). */
  auditHmacKeyFile?: string;
  metricsToken?: Secret;
  ipAllowlist: readonly string[];
  trustedProxies: readonly string[];
  rbacRules: readonly RbacRule[];
  debug: boolean;
  /** The server log's lines, config problems at startup included: JSON objects (default) or plain text. */
  logFormat: "json" | "text";
}

export interface ParsedConfig {
  config: Readonly<ServerConfig>;
  /** Each names the key and its env var. Non-empty = refuse to start. */
  problems: string[];
  warnings: string[];
}

/**
 * Parse the YAML document (already decoded, or undefined) and the environment.
 * Precedence: non-empty env var > file > default. Pure: no I/O, never throws for bad input.
 */
export function parseConfig(file: unknown, env: Env): ParsedConfig {
  const problems: string[] = [];
  const warnings: string[] = [];
  const doc = toMapping(file, "config file", problems);
  const where = (k: string) => `${k} / ${envName(k)}`;
  checkKeys({ doc, env, known: Object.keys(CONFIG_KEYS), legacy: LEGACY_KEYS }, problems, warnings);
  const raw = (k: string): unknown => (env[envName(k)] ? env[envName(k)] : doc[k]);
  const fail = (k: string, msg: string) => void problems.push(`${where(k)}: ${msg}`);

  const str = (k: string): string | undefined => {
    const v = raw(k);
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v === "string") return v.trim() || undefined;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    return void fail(k, `must be a string, got ${describe(v)}`);
  };
  const list = (k: string): string[] => {
    const v = raw(k);
    if (v === undefined || v === null) return [];
    const items = typeof v === "string" ? v.split(",") : Array.isArray(v) ? v : undefined;
    if (!items || items.some((x) => typeof x === "object" && x !== null)) {
      return fail(k, `must be a list of strings (or comma-separated), got ${describe(v)}`), [];
    }
    return items.map((x) => String(x ?? "").trim()).filter(Boolean);
  };
  const duration = (k: string, def: string, min: number, max: number): number => {
    const text = str(k) ?? def;
    try {
      const ms = parseDuration(text);
      if (ms < min || ms > max) fail(k, `"${text}" is out of range: use a value from ${fmt(min)} to ${fmt(max)}`);
      return ms;
    } catch (err) {
      return fail(k, (err as Error).message), parseDuration(def);
    }
  };
  const int = (k: string, fallback = 0): number => {
    const text = str(k) ?? String(fallback);
    if (!/^\d+$/.test(text)) return fail(k, `"${text}" is not a whole number (0 = disabled)`), 0;
    return Number(text);
  };
  const bool = (k: string): boolean => {
    const v = raw(k);
    if (v === undefined || v === null || typeof v === "boolean") return v === true;
    const t = String(v).trim().toLowerCase();
    if (t !== "true" && t !== "1" && t !== "false" && t !== "0") {
      warnings.push(`${where(k)}: "${String(v)}" is not true/false/1/0, treated as false`);
    }
    return t === "true" || t === "1";
  };
  const secret = (k: string): Secret | undefined => {
    const s = str(k);
    return s === undefined ? undefined : new Secret(s);
  };

  // As written: discovery decides which spelling tokens must carry (shared/issuer.ts).
  const issuerUrl = str("issuer_url") ?? "";
  const clientId = str("client_id") ?? "";
  const endpoints = list("endpoints");
  const missing = [["issuer_url", issuerUrl], ["client_id", clientId], ["endpoints", endpoints.length ? "x" : ""]];
  for (const [k, v] of missing) if (!v) fail(k!, "required configuration not set");
  if (issuerUrl) checkIssuerUrl(issuerUrl, (m) => fail("issuer_url", m));

  const listenText = str("listen") ?? ":8443";
  const listen = parseListen(listenText) ?? (fail("listen", `"${listenText}" is not host:port (e.g. :8443)`), {
    hostname: "0.0.0.0",
    port: 8443,
  });
  const certTtlMs = duration("cert_ttl", "5m", CERT_TTL_MIN_MS, CERT_TTL_MAX_MS);
  const maxTokenAgeMs = duration("max_token_age", "24h", MAX_TOKEN_AGE_MIN_MS, MAX_TOKEN_AGE_MAX_MS);
  const rbacRules = parseRbac(doc.rbac, problems);
  const roles = list("roles");
  checkRoles(roles, (m) => fail("roles", m));
  // The original granted os:admin to everyone when both were empty, so a typo in "rbac" made every user an admin.
  const rbacBroken = problems.some((p) => p.startsWith("rbac.rules") || p.startsWith("rbac:"));
  if (roles.length === 0 && rbacRules.length === 0 && !rbacBroken) fail("roles", NO_ROLES_PROBLEM);

  const issuing = parseIssuing({
    str,
    list,
    secret,
    duration,
    fail,
    warn: (m) => void warnings.push(m),
    env,
    endpoints,
  });
  const tls = parseTls(str, list, bool, fail, warnings, where);
  const cidrs = (k: string) => {
    const items = list(k);
    for (const c of items) if (!isIpOrCidr(c)) fail(k, `"${c}" is not an IP address or CIDR`);
    return items;
  };
  const dataDir = str("data_dir");
  const config: ServerConfig = {
    issuerUrl,
    clientId,
    endpoints,
    nodes: list("nodes"),
    listen: { text: listenText, ...listen },
    certTtlMs,
    maxTokenAgeMs,
    jwksRemovedKeyGraceMs: duration("jwks_removed_key_grace", "0s", 0, MAX_TOKEN_AGE_MAX_MS),
    roles,
    ...issuing,
    tls: tls.mode === "self-signed" && dataDir ? { ...tls, dataDir } : tls,
    ...(dataDir ? { dataDir } : {}),
    auditLog: str("audit_log") ?? "-",
    ...optional("auditHmacKeyFile", str("audit_hmac_key_file")),
    ...optional("metricsToken", secret("metrics_token")),
    ipAllowlist: cidrs("ip_allowlist"),
    trustedProxies: cidrs("trusted_proxies"),
    rbacRules,
    ...parseLimits({ int, duration, secret, fail }),
    ...parseScale({ str, bool, secret, fail }),
    debug: Boolean(env.DEBUG),
    logFormat: oneOf(str("log_format") ?? "json", ["json", "text"] as const, (m) => fail("log_format", m)),
  };
  return { config: deepFreeze(config), problems, warnings };
}

function parseTls(
  str: (k: string) => string | undefined,
  list: (k: string) => string[],
  bool: (k: string) => boolean,
  fail: (k: string, m: string) => void,
  warnings: string[],
  where: (k: string) => string,
): TlsConfig {
  const certPath = str("tls_cert"), keyPath = str("tls_key"), insecure = bool("insecure"), san = list("tls_san");
  if (Boolean(certPath) !== Boolean(keyPath)) {
    fail(certPath ? "tls_key" : "tls_cert", "tls_cert and tls_key must both be set (or both unset)");
  }
  if (certPath && insecure) fail("insecure", "cannot set both tls_cert and insecure=true");
  if (san.length && (certPath || insecure)) {
    warnings.push(`${where("tls_san")} only applies to the self-signed certificate (ignored)`);
  }
  if (insecure) return { mode: "insecure" };
  if (certPath && keyPath) return { mode: "provided", certPath, keyPath };
  return { mode: "self-signed", san };
}

function fmt(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !(value instanceof Secret) && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
