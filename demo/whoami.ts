/** @module `demo whoami`: call the apid stand-in over mTLS with a talosconfig context and say who apid thinks you are. */

import https from "node:https";
import { TalosOidcError } from "../shared/errors.ts";
import { decodeBase64Pem } from "../client/talosconfig/cert.ts";
import { currentContext, getContext, readTalosconfig } from "../client/talosconfig/read.ts";

export interface Identity {
  subject_cn: string;
  roles: string[];
}

/**
 * Read context `name` (default: current) and make one mTLS request to its first endpoint, trusting only its `ca`.
 * @throws {TalosOidcError} ERR_TALOSCONFIG when the context is missing, ERR_FORBIDDEN when apid refuses the certificate.
 */
export async function whoami(talosconfigPath: string, name?: string): Promise<Identity> {
  const { doc } = await readTalosconfig(talosconfigPath);
  const context = name ?? currentContext(doc);
  const view = context ? getContext(doc, context) : null;
  if (!view || !view.ca || !view.crt || !view.key || view.endpoints.length === 0) {
    throw new TalosOidcError("ERR_TALOSCONFIG", `context "${context}" in "${talosconfigPath}" has no credentials yet`, {
      hint: "run the login command the demo printed first",
    });
  }
  const [host, port] = splitEndpoint(view.endpoints[0]!);
  const answer = await request(host, port, {
    ca: decodeBase64Pem(view.ca),
    cert: decodeBase64Pem(view.crt),
    // Deno's TLS stack does not read the ED25519 PRIVATE KEY label Talos uses (Go does); the bytes are PKCS#8.
    key: decodeBase64Pem(view.key).replaceAll("ED25519 PRIVATE KEY", "PRIVATE KEY"),
  });
  if (answer.status !== 200) {
    throw new TalosOidcError("ERR_FORBIDDEN", `apid refused the certificate: ${answer.body.error ?? answer.status}`);
  }
  return { subject_cn: String(answer.body.subject_cn ?? ""), roles: (answer.body.roles as string[]) ?? [] };
}

/** `host`, `host:port` or `[v6]:port`; Talos's default apid port is 50000. */
function splitEndpoint(endpoint: string): [string, number] {
  const m = endpoint.match(/^\[?([^\]]+?)\]?(?::(\d+))?$/);
  return [m?.[1] ?? endpoint, Number(m?.[2] ?? 50000)];
}

function request(
  host: string,
  port: number,
  tls: { ca: string; cert: string; key: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host, port, path: "/machine.MachineService/Version", agent: false, ...tls }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on("error", (err: Error) =>
      reject(
        new TalosOidcError("ERR_FORBIDDEN", `the mTLS handshake with apid at ${host}:${port} failed: ${err.message}`, {
          hint: "the certificate may have expired: run login again",
        }),
      ));
    req.end();
  });
}

/** The line `demo whoami` prints. A Talos API certificate carries only roles (Talos puts no name in it). */
export function describeIdentity(id: Identity): string {
  const who = id.subject_cn || "(no name in the certificate: the Talos API puts only roles in it)";
  return `you are ${who}, roles ${id.roles.join(", ")}\n`;
}
