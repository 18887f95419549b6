/**
 * @module A Talos API stand-in for tests and the demo: a real gRPC server from the project's own machine.proto, over
 * mutual TLS (trusting only the OS CA, and only callers whose certificate O includes os:admin) or over a unix socket
 * (roles from the talos-role metadata, as machined), minting client certificates from the CA as Talos does.
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { stringify } from "yaml";
import { jsonLogger } from "../../shared/log.ts";
import { createTalosApiClient, type TalosApiTarget } from "../../server/talos_api/client.ts";
import { parseTalosCredential } from "../../server/talos_api/credential.ts";
import { parseEndpoint } from "../../server/talos_api/endpoint.ts";
import { createTalosApiIssuer } from "../../server/talos_api/issuer.ts";
import {
  type GenerateClientConfigurationRequest,
  type GenerateClientConfigurationResponse,
  loadMachineService,
  type VersionResponse,
} from "../../server/talos_api/proto.ts";
import { type DevCa, signDevLeaf } from "./dev_ca.ts";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

export interface TalosApiStandInOptions {
  /** The OS CA: trusted for client certificates and used to mint. */
  ca: DevCa;
  /** Listen on this unix socket (plaintext, talos-role metadata) instead of TCP with mutual TLS. */
  socketPath?: string;
  /** TCP port (default: a free one); reuse a stopped stand-in's port to play a node coming back. */
  port?: number;
  /** IP SANs of the server certificate (default 127.0.0.1); another IP plays a node certificate for another node. */
  serverIps?: string[];
  /** Answer GenerateClientConfiguration as a worker does (Talos ≥ 1.13: Unimplemented). */
  worker?: boolean;
  /** Add these roles to every minted certificate (a misbehaving node). */
  extraRoles?: string[];
}

/** What the stand-in received, per GenerateClientConfiguration call. */
export interface ReceivedCall {
  roles: string[];
  ttlSeconds: number;
  /** The caller's roles: its client certificate's O (TLS), or the talos-role metadata (socket). */
  callerRoles: string[];
  /** The caller certificate's CN (TLS), "" otherwise. */
  callerCn: string;
}

export interface TalosApiStandIn extends AsyncDisposable {
  /** `127.0.0.1:port` or the socket path, as an `endpoints` entry / `talos_socket` value. */
  endpoint: string;
  port: number;
  received: ReceivedCall[];
  /** Version calls answered. */
  versionCalls: number;
  /** Stop listening and drop connections (a node going down). */
  stop(): Promise<void>;
}

function rolesOf(der: Uint8Array | undefined): { roles: string[]; cn: string } {
  if (!der) return { roles: [], cn: "" };
  const cert = new x509.X509Certificate(Uint8Array.from(der));
  const roles = cert.subjectName.getField("O").map((o) => o.trim()).filter(Boolean);
  return { roles, cn: cert.subjectName.getField("CN")[0] ?? "" };
}

/** Start the stand-in. `await using talos = await startTalosApiStandIn({ ca })`. */
export async function startTalosApiStandIn(o: TalosApiStandInOptions): Promise<TalosApiStandIn> {
  const service = loadMachineService();
  const received: ReceivedCall[] = [];
  const state = { versionCalls: 0 };
  const server = new grpc.Server();

  /** The caller's roles, or a gRPC error as apid's authorizer answers. */
  function caller(call: grpc.ServerUnaryCall<unknown, unknown>): { roles: string[]; cn: string } {
    if (o.socketPath) return { roles: call.metadata.get("talos-role").map(String), cn: "" };
    return rolesOf(call.getAuthContext().sslPeerCertificate?.raw);
  }

  server.addService(service.definition, {
    Version(call: grpc.ServerUnaryCall<unknown, VersionResponse>, cb: grpc.sendUnaryData<VersionResponse>) {
      if (caller(call).roles.length === 0) {
        return cb({ code: grpc.status.PERMISSION_DENIED, details: "not authorized" });
      }
      state.versionCalls++;
      cb(null, { messages: [{ metadata: null, version: { tag: "v1.13.0-standin", sha: "" } }] });
    },
    async GenerateClientConfiguration(
      call: grpc.ServerUnaryCall<GenerateClientConfigurationRequest, GenerateClientConfigurationResponse>,
      cb: grpc.sendUnaryData<GenerateClientConfigurationResponse>,
    ) {
      const who = caller(call);
      const roles = [...call.request.roles];
      const ttlSeconds = Number(call.request.crt_ttl?.seconds ?? 0);
      received.push({ roles, ttlSeconds, callerRoles: who.roles, callerCn: who.cn });
      if (!who.roles.includes("os:admin")) {
        return cb({ code: grpc.status.PERMISSION_DENIED, details: "not authorized" });
      }
      if (o.worker) {
        return cb({
          code: grpc.status.UNIMPLEMENTED,
          details: "client configuration (talosconfig) can only be generated, only available on control plane nodes",
        });
      }
      if (!(ttlSeconds > 0)) return cb({ code: grpc.status.INVALID_ARGUMENT, details: "crt_ttl should be positive" });
      try {
        cb(null, { messages: [await mint(o.ca, [...roles, ...(o.extraRoles ?? [])].sort(), ttlSeconds)] });
      } catch (err) {
        cb({ code: grpc.status.INTERNAL, details: String(err) });
      }
    },
  });

  let port = 0;
  let endpoint: string;
  if (o.socketPath) {
    await bind(server, `unix://${o.socketPath}`, grpc.ServerCredentials.createInsecure());
    endpoint = o.socketPath;
  } else {
    const leaf = await signDevLeaf(o.ca, {
      subject: [{ CN: ["apid"] }],
      eku: [SERVER_AUTH],
      ips: o.serverIps ?? ["127.0.0.1"],
      kind: "ecdsa",
    });
    const creds = grpc.ServerCredentials.createSsl(
      Buffer.from(o.ca.certPem),
      [{ cert_chain: Buffer.from(leaf.certPem), private_key: Buffer.from(leaf.keyPem) }],
      true,
    );
    port = await bind(server, `127.0.0.1:${o.port ?? 0}`, creds);
    endpoint = `127.0.0.1:${port}`;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    server.forceShutdown();
    if (o.socketPath) await Deno.remove(o.socketPath).catch(() => {});
  };
  return {
    endpoint,
    port,
    received,
    get versionCalls() {
      return state.versionCalls;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, creds, (err, p) => (err ? reject(err) : resolve(p)))
  );
}

/** A message as Talos builds it: O = roles, no CN, clientAuth, NotBefore now, Ed25519 key as ED25519 PRIVATE KEY. */
async function mint(ca: DevCa, roles: string[], ttlSeconds: number) {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const leaf = await signDevLeaf(ca, {
    subject: [{ O: roles }],
    notBefore: now,
    notAfter: new Date(now.getTime() + ttlSeconds * 1000),
  });
  const key = leaf.keyPem.replaceAll(" PRIVATE KEY-", " ED25519 PRIVATE KEY-");
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const talosconfig = stringify({
    context: "admin",
    contexts: { admin: { endpoints: [], ca: b64(ca.certPem), crt: b64(leaf.certPem), key: b64(key) } },
  });
  const enc = new TextEncoder();
  return {
    metadata: null,
    ca: enc.encode(ca.certPem),
    crt: enc.encode(leaf.certPem),
    key: enc.encode(key),
    talosconfig: enc.encode(talosconfig),
  };
}

/** A talosconfig for the exchange server itself: a client certificate from `ca` with `roles` (default os:admin). */
export async function serverTalosconfig(
  ca: DevCa,
  o: { roles?: string[]; cn?: string; notAfter?: Date; endpoints?: string[] } = {},
): Promise<string> {
  const leaf = await signDevLeaf(ca, {
    subject: [{ O: o.roles ?? ["os:admin"] }, { CN: [o.cn ?? "talosctl-oidc"] }],
    ...(o.notAfter ? { notAfter: o.notAfter } : {}),
  });
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const key = leaf.keyPem.replaceAll(" PRIVATE KEY-", " ED25519 PRIVATE KEY-");
  return stringify({
    context: "talosctl-oidc",
    contexts: {
      "talosctl-oidc": { endpoints: o.endpoints ?? [], ca: b64(ca.certPem), crt: b64(leaf.certPem), key: b64(key) },
    },
  });
}

/** A talos_api issuer for `endpoints` with a server credential from `ca` (roles default os:admin); logs captured. */
export async function talosApiIssuer(ca: DevCa, endpoints: string[], o: { roles?: string[]; dir?: string } = {}) {
  const text = await serverTalosconfig(ca, { roles: o.roles ?? ["os:admin"] });
  const path = join(o.dir ?? await Deno.makeTempDir(), "talosconfig");
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  const logs: string[] = [];
  const target: TalosApiTarget = {
    kind: "talosconfig",
    credential: parseTalosCredential(text, path),
    endpoints: endpoints.map((e) => parseEndpoint(e)!),
  };
  const logger = jsonLogger({ level: "debug", write: (l) => void logs.push(l) });
  const client = createTalosApiClient({ target, timeoutMs: 5000, logger, now: () => new Date() });
  const issuer = createTalosApiIssuer({ client, logger, now: () => new Date() });
  return { issuer, path, logs, [Symbol.dispose]: () => issuer.close() };
}
