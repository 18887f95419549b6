/**
 * @module A kube-apiserver stand-in over real TLS (its own CA, IP SAN 127.0.0.1), for tests and the demo: it
 * authenticates bearer tokens with kube-apiserver's OIDC rules (kube_authn.ts, configured by the Talos document
 * kube setup prints) and answers `kubectl auth whoami` (SelfSubjectReview, authentication.k8s.io/v1); anything
 * else unauthenticated gets kube-apiserver's 401 Status.
 */

import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createDevCa, signDevLeaf } from "./dev_ca.ts";
import { createResources, kubeStatus } from "./kube_resources.ts";
import {
  createTokenAuthenticator,
  type JwtAuthenticator,
  readAuthenticator,
  type TokenAuthenticator,
  type UserInfo,
} from "./kube_authn.ts";

export interface KubeApiserverOptions {
  /** The Talos document with the OIDC settings, as kube setup prints it (either form); or later, applyTalosDocument. */
  talosDocument?: string;
  /** Accept an http:// issuer on loopback (the test IdP); a real kube-apiserver never does. */
  allowHttpIssuer?: boolean;
}

/** One request as the stand-in saw it: who it was (or why not), never the token. */
export interface KubeRequestLog {
  method: string;
  path: string;
  status: number;
  user?: UserInfo;
  /** Why the token was refused (kube-apiserver logs this; the client only sees 401 Unauthorized). */
  reason?: string;
}

export interface KubeApiserver extends AsyncDisposable {
  url: string;
  /** The cluster CA (PEM) a kubeconfig trusts: `certificate-authority-data`. */
  caPem: string;
  /** The authenticator in force (undefined until a Talos document is applied: every token is refused). */
  authenticator?: JwtAuthenticator;
  /** Take new OIDC settings, as kube-apiserver restarted by `talosctl patch mc` does (it fetches the IdP's keys). */
  applyTalosDocument(text: string): Promise<void>;
  requests: KubeRequestLog[];
  /** ClusterRoleBindings created through the API (kubectl apply), by name. */
  bindings: Map<string, Record<string, unknown>>;
  /** A kubeconfig `clusters:` entry for this server, named `name`. */
  clusterEntry(name: string): string;
}

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

/** Start the stand-in on 127.0.0.1 (any port). With a Talos document it fetches the IdP's keys first, as kube-apiserver does. */
export async function startKubeApiserver(o: KubeApiserverOptions = {}): Promise<KubeApiserver> {
  let authenticator: JwtAuthenticator | undefined;
  let tokens: TokenAuthenticator | undefined;
  const applyTalosDocument = async (text: string) => {
    const next = readAuthenticator(text, { allowHttpIssuer: o.allowHttpIssuer });
    tokens = await createTokenAuthenticator(next);
    authenticator = next;
  };
  if (o.talosDocument !== undefined) await applyTalosDocument(o.talosDocument);
  const ca = await createDevCa("ecdsa", { subject: "CN=kubernetes" });
  const leaf = await signDevLeaf(ca, {
    subject: [{ CN: ["kube-apiserver"] }],
    eku: [SERVER_AUTH],
    ips: ["127.0.0.1"],
    kind: "ecdsa",
  });
  const requests: KubeRequestLog[] = [];
  const resources = createResources();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "https://127.0.0.1").pathname;
    const log: KubeRequestLog = { method: req.method ?? "GET", path, status: 401 };
    requests.push(log);
    let text = "";
    for await (const chunk of req) text += new TextDecoder().decode(chunk as Uint8Array);
    const bearer = (req.headers.authorization ?? "").match(/^Bearer\s+(\S+)$/i)?.[1];
    const who = !bearer
      ? { reason: "no bearer token" }
      : tokens
      ? await tokens.authenticate(bearer)
      : { reason: "no OIDC authenticator configured" };
    if ("reason" in who) {
      log.reason = who.reason;
      return send(res, log, 401, kubeStatus(401, "Unauthorized", "Unauthorized"));
    }
    log.user = who.user;
    if (req.method === "POST" && path === "/apis/authentication.k8s.io/v1/selfsubjectreviews") {
      return send(res, log, 201, {
        kind: "SelfSubjectReview",
        apiVersion: "authentication.k8s.io/v1",
        metadata: { creationTimestamp: null },
        status: { userInfo: who.user },
      });
    }
    if (path === "/version") return send(res, log, 200, { major: "1", minor: "33", gitVersion: "v1.33.0-standin" });
    const answer = resources.handle(log.method, path, text ? JSON.parse(text) : undefined);
    if (answer) return send(res, log, answer.status, answer.body);
    return send(res, log, 404, kubeStatus(404, "NotFound", "the server could not find the requested resource"));
  };
  const server = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    handle(req, res).catch((err) =>
      send(res, { method: "", path: "", status: 500 }, 500, kubeStatus(500, "", `${err}`))
    );
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    caPem: ca.certPem,
    get authenticator() {
      return authenticator;
    },
    applyTalosDocument,
    requests,
    bindings: resources.bindings,
    clusterEntry: (name) =>
      `- cluster:\n    certificate-authority-data: ${btoa(ca.certPem)}\n    server: ${url}\n  name: ${name}\n`,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, log: KubeRequestLog, code: number, body: unknown): void {
  log.status = code;
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
