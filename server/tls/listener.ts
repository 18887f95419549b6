/**
 * @module The HTTP(S) listener on node:https / node:http (Deno's Node layer) with TCP_NODELAY, feeding a fetch handler.
 *
 * Why not Deno.serve: with TLS it leaves Nagle's algorithm on for accepted sockets and there is no
 * option to turn it off. A response over ~700 bytes (every /exchange answer) leaves as two segments,
 * and the second waits for the client's delayed ACK: +40 ms per request on a keep-alive connection,
 * and 1 KiB POST bodies cap it near 2,600 req/s at 32 connections (18,700 over plain HTTP). Measured
 * on this code base, see bench/REPORT.md. node:https sets TCP_NODELAY, and its setSecureContext()
 * swaps the certificate on the live listener, so a reload drops no connection.
 */

import { Buffer } from "node:buffer";
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "../../shared/log.ts";
import { MAX_EXCHANGE_BODY } from "../../shared/protocol.ts";
import { DEFAULT_MAX_CONNECTIONS } from "../config_limits.ts";
import type { FastRoute } from "../routes/exchange_fast.ts";
import { ClientGone, hasBody, lazyBody } from "./request_body.ts";
import type { PemPair } from "./self_signed.ts";
import type { TlsSource } from "./source.ts";

/**
 * The most body any request may stream to the handler: what the largest route takes (/exchange). Each route's own
 * limit is the app's (server/middleware/body_limit.ts), checked before the handler reads anything.
 */
export const MAX_REQUEST_BODY = MAX_EXCHANGE_BODY;

export type FetchHandler = (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response | Promise<Response>;

/**
 * Slow-client limits, the original tool's: the request headers within 5 s, the whole request within 15 s, an idle
 * keep-alive connection closed after 60 s. The TLS handshake gets the headers' limit too (node's default is 120 s).
 */
export interface ListenerTimeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

const DEFAULT_TIMEOUTS: Readonly<ListenerTimeouts> = {
  headersMs: 5_000,
  requestMs: 15_000,
  keepAliveMs: 60_000,
};

export interface ListenerOptions {
  hostname: string;
  port: number;
  handler: FetchHandler;
  tls: TlsSource;
  logger: Logger;
  /** How often the TLS source is asked for new material (default 60 s, like the original reloader). */
  checkIntervalMs?: number;
  now?: () => Date;
  /** Overrides of DEFAULT_TIMEOUTS (tests use short ones). */
  timeouts?: Partial<ListenerTimeouts>;
  /** Most open connections (default DEFAULT_MAX_CONNECTIONS); one more is closed before its handshake. */
  maxConnections?: number;
  /** Share the port with other listeners of this user (SO_REUSEPORT): the serve workers each bind it. */
  reusePort?: boolean;
  /** Called with new TLS material once this listener serves it (the owner thread passes it on to its workers). */
  onReload?: (pair: PemPair) => void | Promise<void>;
  /** A POST route served without the fetch handler (routes/exchange_fast.ts); chunked bodies still go to `handler`. */
  fast?: FastRoute;
}

export interface Listener {
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Times new TLS material was put in place. */
  readonly reloads: number;
  /** Run a TLS refresh check now; true when new material is now served. */
  checkNow(): Promise<boolean>;
  /** Stop accepting, let in-flight requests finish, resolve when every connection is closed. */
  shutdown(): Promise<void>;
  /** Close every connection now (after the shutdown deadline). */
  closeAll(): void;
}

/** Start listening; periodic TLS checks swap the certificate on the live listener. */
export async function startListener(options: ListenerOptions): Promise<Listener> {
  const { tls, logger } = options;
  const now = options.now ?? (() => new Date());
  const pair = tls.current();
  const scheme = pair ? "https" : "http";
  let stopping = false;
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) =>
    void serveOne(req, res, options, scheme, () => stopping).catch((err) => {
      if (!(err instanceof ClientGone)) logger.error("answering a request failed", { error: err });
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end();
    });
  const t = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  // node enforces the header and request limits only when it sweeps its connections, every 30 s by default: a
  // client trickling header bytes held its connection for 30 s, not 5. Sweep at least every second.
  const common = { noDelay: true, connectionsCheckingInterval: Math.min(1_000, t.headersMs / 2) };
  const server: http.Server = pair
    ? https.createServer(
      { ...common, cert: pair.certPem, key: pair.keyPem, minVersion: "TLSv1.2", handshakeTimeout: t.headersMs },
      onRequest,
    )
    : http.createServer(common, onRequest);
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new RangeError(`maxConnections must be a positive integer, got ${maxConnections}`);
  }
  server.maxConnections = maxConnections; // node closes each connection over it as it is accepted
  server.headersTimeout = t.headersMs;
  server.requestTimeout = t.requestMs;
  server.keepAliveTimeout = t.keepAliveMs;
  const sockets = new Set<Socket>();
  server.on(pair ? "secureConnection" : "connection", (s: Socket) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  server.on("tlsClientError", () => {}); // failed handshakes (scanners, wrong CA) are the client's problem
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const at = { port: options.port, host: options.hostname, reusePort: options.reusePort === true };
    server.listen(at, () => (server.off("error", reject), resolve()));
  });
  const a = server.address() as AddressInfo;
  const addr: Deno.NetAddr = { transport: "tcp", hostname: a.address, port: a.port };

  let reloads = 0;
  let checking: Promise<boolean> | undefined;
  const check = (): Promise<boolean> => {
    if (stopping) return Promise.resolve(false);
    checking ??= (async () => {
      try {
        if (!(await tls.refresh(now())) || stopping) return false;
        const next = tls.current()!;
        (server as https.Server).setSecureContext({ cert: next.certPem, key: next.keyPem, minVersion: "TLSv1.2" });
        await options.onReload?.(next);
        reloads++;
        logger.info("now serving the new TLS certificate (existing connections keep theirs)");
        return true;
      } finally {
        checking = undefined;
      }
    })();
    return checking;
  };
  const timer = pair ? setInterval(() => void check().catch(() => {}), options.checkIntervalMs ?? 60_000) : undefined;

  const closed = new Promise<void>((resolve) => server.once("close", () => resolve()));
  return {
    addr,
    get reloads() {
      return reloads;
    },
    checkNow: check,
    async shutdown() {
      stopping = true;
      if (timer !== undefined) clearInterval(timer);
      server.close(); // no new connection from here on (synchronously: callers log that it stopped accepting)
      server.closeIdleConnections();
      await checking?.catch(() => {});
      await closed;
    },
    closeAll() {
      for (const s of sockets) s.destroy();
    },
  };
}

async function serveOne(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  { handler, fast }: Pick<ListenerOptions, "handler" | "fast">,
  scheme: string,
  stopping: () => boolean,
): Promise<void> {
  if (Number(req.headers["content-length"] ?? 0) > MAX_REQUEST_BODY) return tooLarge(res);
  if (fast && req.method === "POST" && req.url === fast.path && req.headers["transfer-encoding"] === undefined) {
    return await serveFast(req, res, fast, stopping);
  }
  // GET and HEAD never carry a body into the handler (fetch forbids it); one sent anyway is never read.
  const body = req.method !== "GET" && req.method !== "HEAD" && hasBody(req)
    ? lazyBody(req, MAX_REQUEST_BODY)
    : undefined;
  const request = new Request(`${scheme}://${hostOf(req)}${req.url ?? "/"}`, {
    method: req.method,
    ...(body ? { body: body.stream } : {}),
  });
  // Appended after construction: a Headers passed in `init` is copied entry by entry through WebIDL (~3 µs more).
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) request.headers.append(raw[i]!, raw[i + 1]!);
  const sock = req.socket;
  const info = new HandlerInfo(
    { transport: "tcp", hostname: sock.remoteAddress ?? "", port: sock.remotePort ?? 0 },
    res,
  );
  let response: Response;
  try {
    response = await handler(request, info);
  } catch (err) {
    // A handler that failed reading a body its client abandoned is the client's doing: nobody to answer, nothing to log.
    if (req.destroyed && !req.complete) throw new ClientGone("the client left mid-body", { cause: err });
    throw err;
  } finally {
    body?.detach();
  }
  if (req.destroyed && !req.complete) return; // gone mid-body while the handler ran: nobody to answer
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => void (out[k] = v));
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  // A body the handler did not read (refused unread, or a route that takes none) is not waited for: the connection
  // closes once this answer is out.
  if (stopping() || !req.complete) out.connection = "close";
  if (req.method === "HEAD") return void (res.writeHead(response.status, out), res.end());
  if (response.headers.get("content-type")?.startsWith("text/event-stream") && response.body) {
    res.writeHead(response.status, out);
    for await (const chunk of response.body) res.write(chunk);
    res.end();
    return;
  }
  // Not `response.body`: that getter wraps a string body (every JSON answer) in a ReadableStream, which
  // arrayBuffer() then drains chunk by chunk. A null body reads as empty, and is answered as before.
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength === 0) return void (res.writeHead(response.status, out), res.end());
  out["content-length"] = String(bytes.byteLength);
  res.writeHead(response.status, out);
  res.end(bytes);
}

/** A fast route's answer, written as serveOne writes the fetch handler's (same headers, one write). */
async function serveFast(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  fast: FastRoute,
  stopping: () => boolean,
): Promise<void> {
  const sock = req.socket;
  const peer: Deno.NetAddr = { transport: "tcp", hostname: sock.remoteAddress ?? "", port: sock.remotePort ?? 0 };
  const answer = await fast.serve(req, new HandlerInfo(peer, res), MAX_REQUEST_BODY);
  if (req.destroyed && !req.complete) return; // gone mid-body while the handler ran: nobody to answer
  const out: Record<string, string> = {};
  for (const [k, v] of answer.headers) out[k] = v;
  if (stopping() || !req.complete) out.connection = "close";
  const bytes = Buffer.from(answer.body);
  out["content-length"] = String(bytes.byteLength);
  res.writeHead(answer.status, out);
  res.end(bytes);
}

/**
 * The handler's view of its connection (the Deno.serve shape). A class, not an object literal with a getter: V8 gave
 * each such literal its own hidden class, and through the getter's closure that kept every request's objects
 * (IncomingMessage, ServerResponse, Request) alive across minor GCs: 2.3 KiB promoted to the old generation per
 * exchange, 0.7 KiB as a class (A/B in bench/REPORT.md's latency notes).
 */
class HandlerInfo implements Deno.ServeHandlerInfo<Deno.NetAddr> {
  #completed: Promise<void> | undefined; // made on first use: most handlers never ask
  constructor(readonly remoteAddr: Deno.NetAddr, private readonly res: http.ServerResponse) {}
  /** Settles once the response is out or the connection is gone (`destroyed`: Deno's node layer never sets `closed`). */
  get completed(): Promise<void> {
    const res = this.res;
    return this.#completed ??= res.destroyed ? Promise.resolve() : new Promise<void>((r) => res.once("close", r));
  }
}

function tooLarge(res: http.ServerResponse): void {
  res.writeHead(413, { "content-type": "application/json", connection: "close" });
  res.end('{"error":"request body too large or unreadable","code":"ERR_BODY_TOO_LARGE"}');
}

function hostOf(req: http.IncomingMessage): string {
  const host = req.headers.host;
  return host && /^[A-Za-z0-9.\-:\[\]]{1,255}$/.test(host) ? host : "localhost";
}
