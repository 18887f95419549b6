/** @module A real exchange server for tests: real config parsing, real Talos CA, real TLS, audit and logs captured. */

import type { Clock } from "../../shared/clock.ts";
import { jsonLogger } from "../../shared/log.ts";
import type { ExchangeResponse } from "../../shared/protocol.ts";
import { type AppEnv, createApp, startServer } from "../../server/app.ts";
import { parseConfig, type ServerConfig } from "../../server/config.ts";
import { buildDeps, type ServerDeps } from "../../server/deps.ts";
import type { RunningServer } from "../../server/loops.ts";
import { type LoadedCa, loadTalosCa } from "../../server/talos_ca/load.ts";
import { createDevCa, type DevCa, type DevCaKind } from "./dev_ca.ts";
import type { Hono } from "hono";

export interface TestServerOptions {
  /** Issuer URL and client id (a TestIdp fits). */
  idp: { issuer: string; clientId: string };
  /** Talos CA key type (default ed25519), or a CA to reuse. */
  ca?: DevCaKind | DevCa;
  /**
   * Config file keys over the defaults (endpoints 127.0.0.1, listen 127.0.0.1:0, inline CA, audit to memory, and
   * `roles: [os:admin]` on purpose when the test sets neither `roles` nor `rbac`).
   */
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  clock?: Clock;
}

/** What every test server captures. */
export interface Captured {
  devCa: DevCa;
  loadedCa: LoadedCa;
  config: Readonly<ServerConfig>;
  /** Audit lines written to "stdout" (when audit_log is not a file), parsed. */
  audit: Record<string, unknown>[];
  /** Raw audit and log text, for "never leaks a token" checks. */
  auditText: string[];
  logs: string[];
}

/** Parse a test config exactly as `serve` does; throws listing the problems if any. */
export async function testConfig(
  options: TestServerOptions,
): Promise<Omit<Captured, "audit" | "auditText" | "logs"> & { input: { file: unknown; env: Record<string, string> } }> {
  const devCa = typeof options.ca === "object" ? options.ca : await createDevCa(options.ca ?? "ed25519");
  const file = {
    issuer_url: options.idp.issuer,
    client_id: options.idp.clientId,
    endpoints: ["127.0.0.1"],
    listen: "127.0.0.1:0",
    ca_cert_data: devCa.certPem,
    ca_key_data: devCa.keyPem,
    ...(options.config?.roles === undefined && options.config?.rbac === undefined ? { roles: ["os:admin"] } : {}),
    workers: 1, // one event loop unless a test asks for threads (an injected clock does not reach them)
    ...options.config,
  };
  const env = options.env ?? {};
  const { config, problems } = parseConfig(file, env);
  if (problems.length > 0) throw new Error(`test config has problems:\n${problems.join("\n")}`);
  const loadedCa = await loadTalosCa({ certPem: devCa.certPem, keyPem: devCa.keyPem });
  return { devCa, loadedCa, config, input: { file, env } };
}

function capture(): Pick<Captured, "audit" | "auditText" | "logs"> & {
  stdout: (t: string) => void;
  logger: ReturnType<typeof jsonLogger>;
} {
  const audit: Record<string, unknown>[] = [], auditText: string[] = [], logs: string[] = [];
  return {
    audit,
    auditText,
    logs,
    stdout: (t) => {
      auditText.push(t);
      for (const line of t.split("\n").filter(Boolean)) audit.push(JSON.parse(line));
    },
    logger: jsonLogger({ level: "debug", write: (l) => void logs.push(l) }),
  };
}

export interface TestApp extends Captured, AsyncDisposable {
  app: Hono<AppEnv>;
  deps: ServerDeps;
  /** POST /exchange through app.request() with a JSON body. */
  exchange(body: unknown, init?: RequestInit): Promise<Response>;
}

/** The app with real deps and no socket, for app.request() tests. */
export async function createTestApp(options: TestServerOptions): Promise<TestApp> {
  const base = await testConfig(options);
  const cap = capture();
  const deps = await buildDeps({
    config: base.config,
    ca: base.loadedCa,
    logger: cap.logger,
    stdout: cap.stdout,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const app = createApp(deps);
  const peer = { remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 50000 } };
  return {
    ...base,
    ...cap,
    app,
    deps,
    exchange: (body, init) =>
      Promise.resolve(app.request("/exchange", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
        ...init,
      }, peer)),
    [Symbol.asyncDispose]: () => deps.close(),
  };
}

export interface TestServer extends Captured, AsyncDisposable {
  server: RunningServer;
  url: string;
  /** The served self-signed CA (from GET /ca), or undefined in other TLS modes. */
  tlsCaPem?: string;
  /** A fetch client trusting exactly the served CA. */
  client?: Deno.HttpClient;
  /** POST /exchange over the network. */
  exchange(body: unknown): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }>;
  close(): Promise<void>;
}

/** A listening server (self-signed TLS unless the config says otherwise) and a client that trusts it. */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const base = await testConfig(options);
  const cap = capture();
  const server = await startServer({ config: base.config, ca: base.loadedCa, input: base.input }, {
    logger: cap.logger,
    stdout: cap.stdout,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const tlsCaPem = server.deps.tls.caPem();
  const client = tlsCaPem ? Deno.createHttpClient({ caCerts: [tlsCaPem] }) : undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    client?.close();
    await server.close();
  };
  return {
    ...base,
    ...cap,
    server,
    url: server.url,
    ...(tlsCaPem ? { tlsCaPem } : {}),
    ...(client ? { client } : {}),
    async exchange(body) {
      const res = await fetch(`${server.url}/exchange`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
        ...(client ? { client } : {}),
      });
      return { status: res.status, json: await res.json(), headers: res.headers };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Write the open auth_failure windows now: repeats from one address and reason are one audit line with a `count`,
 * written when the window ends (server/audit/failure_aggregator.ts). The audit log writes on the next microtask.
 */
export async function writeFailureCounts(t: { deps: { authFailures?: { close(): void } } }): Promise<void> {
  t.deps.authFailures?.close();
  await Promise.resolve();
}

/** Narrow an exchange JSON body to the success shape (throws with the body otherwise). */
export function asExchangeResponse(json: unknown): ExchangeResponse {
  const r = json as ExchangeResponse;
  if (typeof r?.cert !== "string" || typeof r.ca !== "string") {
    throw new Error(`not an exchange response: ${JSON.stringify(json)}`);
  }
  return r;
}

/**
 * The environment that makes `talosctl-oidc serve` (a child process) trust `idp` and sign with `ca`, on a free port,
 * granting every user `os:admin` on purpose (a test may override TALOSCTL_OIDC_ROLES or add rbac rules in a file).
 */
export function serveEnv(
  idp: { issuer: string; clientId: string },
  ca: { certPem: string; keyPem: string },
  endpoints = "127.0.0.1",
): Record<string, string> {
  return {
    TALOSCTL_OIDC_ISSUER_URL: idp.issuer,
    TALOSCTL_OIDC_CLIENT_ID: idp.clientId,
    TALOSCTL_OIDC_ENDPOINTS: endpoints,
    TALOSCTL_OIDC_LISTEN: "127.0.0.1:0",
    TALOSCTL_OIDC_CA_CERT_DATA: ca.certPem,
    TALOSCTL_OIDC_CA_KEY_DATA: ca.keyPem,
    TALOSCTL_OIDC_ROLES: "os:admin",
  };
}
