/** @module A fake Talos apid over real mTLS: trusts only the Talos CA and reads roles from Subject O, as apid does. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { type DevCa, signDevLeaf } from "./dev_ca.ts";

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

export interface FakeApidOptions {
  /** The Talos OS CA certificate: the only CA trusted for client certificates. */
  caPem: string;
  /** Its key: the server certificate (IP SAN 127.0.0.1) is signed by the same CA, as a real apid's is. */
  caKeyPem: string;
}

export interface FakeApid extends AsyncDisposable {
  url: string;
  port: number;
  /** Talos CA PEM; clients trust it for the server, as talosctl does with the talosconfig `ca`. */
  caPem: string;
}

/** What apid would decide for a client certificate (DER): roles, or why it refuses. */
export function apidDecision(raw: Uint8Array, now = new Date()): { status: number; body: Record<string, unknown> } {
  const cert = new x509.X509Certificate(Uint8Array.from(raw));
  if (now < cert.notBefore || now > cert.notAfter) return { status: 401, body: { error: "certificate not valid now" } };
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String) ?? [];
  if (eku.length !== 1 || eku[0] !== CLIENT_AUTH) {
    return { status: 403, body: { error: `extended key usage must be exactly [clientAuth], got [${eku.join(", ")}]` } };
  }
  const roles = cert.subjectName.getField("O").map((o) => o.trim()).filter((o) => o !== "");
  const subjectCn = cert.subjectName.getField("CN")[0] ?? "";
  if (roles.length === 0) return { status: 403, body: { error: "no roles in Subject O", subject_cn: subjectCn } };
  return { status: 200, body: { subject_cn: subjectCn, roles } };
}

/** Start the fake apid on 127.0.0.1 (random port). `await using apid = await startFakeApid(...)`. */
export async function startFakeApid(opts: FakeApidOptions): Promise<FakeApid> {
  const ca: DevCa = { kind: "ed25519", certPem: opts.caPem, keyPem: opts.caKeyPem };
  const serverCert = await signDevLeaf(ca, {
    subject: [{ CN: ["apid"] }],
    eku: [SERVER_AUTH],
    ips: ["127.0.0.1"],
    kind: "ecdsa",
  });
  const server = https.createServer({
    cert: serverCert.certPem,
    key: serverCert.keyPem,
    ca: [opts.caPem],
    requestCert: true,
    rejectUnauthorized: true,
  }, (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const decision = socket.authorized && peer?.raw
      ? apidDecision(new Uint8Array(peer.raw))
      : { status: 401, body: { error: `client certificate refused: ${socket.authorizationError ?? "none"}` } };
    res.writeHead(decision.status, { "content-type": "application/json", connection: "close" });
    res.end(JSON.stringify(decision.body));
  });
  server.on("tlsClientError", () => {}); // refused handshakes are the point of several tests
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caPem: opts.caPem,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type ApidAnswer = { status: number; body: Record<string, unknown> } | { error: string };

/**
 * One mTLS request to `apid` with a client certificate (fresh connection each time).
 * Deno's TLS stack does not read the `ED25519 PRIVATE KEY` label Talos uses (Go does), so it is relabelled here.
 */
export function callApid(apid: FakeApid, client: { certPem: string; keyPem: string }): Promise<ApidAnswer> {
  return new Promise((resolve) => {
    const req = https.request({
      host: "127.0.0.1",
      port: apid.port,
      path: "/machine.MachineService/Version",
      method: "GET",
      agent: false,
      ca: apid.caPem,
      cert: client.certPem,
      key: client.keyPem.replaceAll("ED25519 PRIVATE KEY", "PRIVATE KEY"),
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => text += chunk);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", (err: Error) => resolve({ error: err.message }));
    req.end();
  });
}
