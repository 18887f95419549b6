/** @module A real OpenID Provider (npm oidc-provider) on loopback, for tests and the demo. */

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type Provider from "oidc-provider";
import * as jose from "jose";
import { autoGrant, createProvider } from "./idp_provider.ts";
import { DEFAULT_USERS, type IdpUser } from "./idp_users.ts";
import { readBody, sendLoginPage, timingSafeEqualStr } from "./idp_pages.ts";

export { DEFAULT_USERS, type IdpUser };

export interface IdpClient {
  client_id: string;
  /** Omit for a public client (token_endpoint_auth_method none). */
  client_secret?: string;
  /** Default RS256. */
  id_token_signed_response_alg?: "RS256" | "PS256" | "ES256" | "EdDSA";
  redirect_uris?: string[];
}

export interface TestIdpOptions {
  users?: IdpUser[];
  clients?: IdpClient[];
  /** ID token lifetime in seconds (default 3600). */
  idTokenTtl?: number;
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Port to bind (default 0 = any free port). */
  port?: number;
  /** Address to bind and name in the issuer URL (default 127.0.0.1; a LAN address plays an IdP off loopback). */
  host?: string;
  /**
   * Path of the issuer after the host, e.g. "/" or "/application/o/talosctl/" (authentik's issuers end in a slash);
   * default none: `http://127.0.0.1:PORT`. The provider is mounted there.
   */
  issuerPath?: string;
}

export type SigningAlg = "RS256" | "PS256" | "ES256" | "EdDSA";

export interface MintOptions {
  alg?: SigningAlg;
  /** Override the kid in the header (e.g. a stranger's key under a known kid). */
  kid?: string;
  /** Sign with this key instead of the IdP's own key for `alg`. */
  key?: KeyObject;
  /** Extra protected-header fields. */
  header?: Record<string, unknown>;
}

export interface TestIdp {
  /** Issuer URL, e.g. http://127.0.0.1:41234 */
  issuer: string;
  /** The default public client id ("talosctl"). */
  clientId: string;
  users: IdpUser[];
  /** The IdP's signing keys by alg (private), with their kid. */
  keys: Record<SigningAlg, { kid: string; privateKey: KeyObject; publicKey: KeyObject }>;
  /** Sign an ID token with the IdP's real key. Claims default: iss, aud=clientId, sub=alice, iat=now, exp=now+300. */
  mint(claims?: Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** The oidc-provider instance (for advanced tests). */
  provider: Provider;
  /** Number of requests served by path (e.g. "/jwks"), for cache tests. */
  hits: Map<string, number>;
  /**
   * Key rotation: publish a new RS256 key next to the current ones and mint with it from now on; returns the key
   * it replaced for minting (still published until removeKey()).
   */
  addKey(): { kid: string; privateKey: KeyObject };
  /** Stop publishing the key with this kid. */
  removeKey(kid: string): void;
  /**
   * An outage: "refuse" closes the port (connection refused), "hang" keeps it open and answers nothing until up().
   * Requests held by "hang" are answered by up() (a slow IdP; the caller's own deadline decides).
   */
  down(mode: "refuse" | "hang"): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Generate an asymmetric key pair for a JWS algorithm. */
export function generateSigningKey(alg: SigningAlg): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === "ES256") return generateKeyPairSync("ec", { namedCurve: "P-256" });
  if (alg === "EdDSA") return generateKeyPairSync("ed25519");
  return generateKeyPairSync("rsa", { modulusLength: 2048 });
}

/** Start a real OpenID Provider (on 127.0.0.1 unless `host` says otherwise) with custom, scriptable login pages. */
export async function startTestIdp(options: TestIdpOptions = {}): Promise<TestIdp> {
  const users = options.users ?? DEFAULT_USERS;
  const clients = options.clients ?? [{ client_id: "talosctl" }];
  const hits = new Map<string, number>();
  const keys = {} as TestIdp["keys"];
  const jwks: jose.JWK[] = [];
  for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
    const pair = generateSigningKey(alg);
    const kid = `${alg.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}`;
    keys[alg] = { kid, ...pair };
    const jwk = pair.privateKey.export({ format: "jwk" }) as jose.JWK;
    jwks.push({ ...jwk, kid, use: "sig", ...(alg === "EdDSA" ? { alg: "EdDSA" } : {}) });
  }
  keys.PS256 = keys.RS256;

  // Bind first: the issuer URL needs the port before the Provider exists; the handler is attached below.
  const server: Server = createServer();
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://${host.includes(":") ? `[${host}]` : host}:${port}${options.issuerPath ?? ""}`;
  // Where oidc-provider's routes live: the issuer's path without its trailing slash (as oidc-provider mounts it).
  const mount = (options.issuerPath ?? "").replace(/\/$/, "");

  const byId = new Map(users.map((u) => [u.sub, u]));
  const published = new Map(jwks.map((j) => [j.kid!, j]));
  const build = () => createProvider(issuer, mount, { ...options, clients, byId, jwks: [...published.values()] });
  let provider = build();
  let callback = provider.callback();
  let hang: [IncomingMessage, ServerResponse][] | undefined;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (hang) return void hang.push([req, res]);
    const url = new URL(req.url ?? "/", issuer);
    if (mount !== "") {
      if (!url.pathname.startsWith(`${mount}/`)) return void res.writeHead(404).end();
      // Mounted under a path, as oidc-provider documents for express: it reads the prefix from originalUrl.
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
      req.url = req.url!.slice(mount.length);
      url.pathname = url.pathname.slice(mount.length);
    }
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    const m = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (!m) return void callback(req, res);
    handleInteraction(provider, byId, req, res, m[2] === "/login", mount).catch((err) => {
      res.statusCode = 500;
      res.end(`interaction failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  };
  server.on("request", onRequest);

  const stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const close = async () => {
    for (const [req] of hang ?? []) req.socket.destroy();
    hang = undefined;
    if (server.listening) await stop();
  };
  const publish = () => {
    provider = build();
    callback = provider.callback();
  };
  const mint = async (claims: Record<string, unknown> = {}, mo: MintOptions = {}) => {
    const alg = mo.alg ?? "RS256";
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: issuer, aud: clients[0]!.client_id, sub: "alice", iat: now, exp: now + 300, ...claims };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete (payload as Record<string, unknown>)[k];
    const header = { alg, kid: mo.kid ?? keys[alg].kid, typ: "JWT", ...mo.header };
    return await new jose.SignJWT(payload).setProtectedHeader(header as jose.JWTHeaderParameters).sign(
      mo.key ?? keys[alg].privateKey,
    );
  };
  return {
    issuer,
    clientId: clients[0]!.client_id,
    users,
    keys,
    mint,
    get provider() {
      return provider;
    },
    hits,
    addKey() {
      const before = keys.RS256;
      const pair = generateSigningKey("RS256");
      const kid = `rs256-${crypto.randomUUID().slice(0, 8)}`;
      keys.RS256 = keys.PS256 = { kid, ...pair };
      published.set(kid, { ...pair.privateKey.export({ format: "jwk" }) as jose.JWK, kid, use: "sig" });
      publish();
      return { kid: before.kid, privateKey: before.privateKey };
    },
    removeKey(kid) {
      published.delete(kid);
      publish();
    },
    async down(mode) {
      if (mode === "hang") hang ??= [];
      else if (server.listening) await stop();
    },
    async up() {
      const held = hang ?? [];
      hang = undefined;
      if (!server.listening) await new Promise<void>((resolve) => server.listen(port, host, resolve));
      for (const [req, res] of held) if (!req.socket.destroyed) onRequest(req, res);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function handleInteraction(
  provider: Provider,
  users: Map<string, IdpUser>,
  req: IncomingMessage,
  res: ServerResponse,
  isPost: boolean,
  mount: string,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (prompt.name === "consent") {
    const grantId = details.grantId ??
      await autoGrant(provider, String(params.client_id), String(details.session?.accountId));
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (isPost && req.method === "POST") {
    const form = new URLSearchParams(await readBody(req));
    const login = form.get("login") ?? "";
    const user = users.get(login);
    if (!user || !timingSafeEqualStr(user.password, form.get("password") ?? "")) {
      return sendLoginPage(res, uid, users, mount, "Unknown user or wrong password.");
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, {
      mergeWithLastSubmission: false,
    });
    return;
  }
  sendLoginPage(res, uid, users, mount);
}
