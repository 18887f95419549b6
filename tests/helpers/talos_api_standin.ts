/**
 * @module The Talos API stand-in's gRPC server, run in its own process (tests/helpers/talos_api.ts spawns it): a real
 * gRPC server from the project's own machine.proto, over mutual TLS (trusting only the OS CA, and only callers whose
 * certificate O includes os:admin) or a unix socket (roles from the talos-role metadata, as machined), minting client
 * certificates from the CA as Talos does. Each call is reported as a JSON line on stdout.
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { stringify } from "yaml";
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
  /** Answer GenerateClientConfiguration only after this many ms (a node that hangs). */
  delayMs?: number;
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

/** What the process reports on stdout, one JSON object per line. */
export type StandInEvent =
  | { ready: { endpoint: string; port: number } }
  | { call: ReceivedCall }
  | { version: true }
  | { sync: true };

function rolesOf(der: Uint8Array | undefined): { roles: string[]; cn: string } {
  if (!der) return { roles: [], cn: "" };
  const cert = new x509.X509Certificate(Uint8Array.from(der));
  const roles = cert.subjectName.getField("O").map((o) => o.trim()).filter(Boolean);
  return { roles, cn: cert.subjectName.getField("CN")[0] ?? "" };
}

/** Serve in this process until it is killed; `report` gets each event. */
async function serve(o: TalosApiStandInOptions, report: (e: StandInEvent) => void): Promise<void> {
  const service = loadMachineService();
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
      report({ version: true });
      cb(null, { messages: [{ metadata: null, version: { tag: "v1.13.0-standin", sha: "" } }] });
    },
    async GenerateClientConfiguration(
      call: grpc.ServerUnaryCall<GenerateClientConfigurationRequest, GenerateClientConfigurationResponse>,
      cb: grpc.sendUnaryData<GenerateClientConfigurationResponse>,
    ) {
      const who = caller(call);
      const roles = [...call.request.roles];
      const ttlSeconds = Number(call.request.crt_ttl?.seconds ?? 0);
      report({ call: { roles, ttlSeconds, callerRoles: who.roles, callerCn: who.cn } });
      if (!who.roles.includes("os:admin")) {
        return cb({ code: grpc.status.PERMISSION_DENIED, details: "not authorized" });
      }
      if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
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
  report({ ready: { endpoint, port } });
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

/** Lines of text from a byte stream. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
}

if (import.meta.main) {
  // Options arrive as the first stdin line; each later line asks for {"sync": true} once earlier events are out.
  const enc = new TextEncoder();
  const report = (e: StandInEvent) => void Deno.stdout.writeSync(enc.encode(JSON.stringify(e) + "\n"));
  let started = false;
  for await (const line of lines(Deno.stdin.readable)) {
    if (!started) await serve(JSON.parse(line), report);
    else report({ sync: true });
    started = true;
  }
  Deno.exit(0); // stdin closed: the test process is gone
}
