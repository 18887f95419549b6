/**
 * @module The listener before server/http1/, for the benches' A/B rows only (BENCH_VARIANT=node-listener in
 * tests/bench/variant_server.ts): node:http / node:https with TCP_NODELAY feeding the same fetch handler and fast
 * route. Not shipped; kept as it was, its fast route given the body node:http reads.
 */

import { Buffer } from "node:buffer";
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { DEFAULT_MAX_CONNECTIONS } from "../../server/config_limits.ts";
import { BodyOverCap, ClientGone } from "../../server/http1/errors.ts";
import type { Listener, ListenerOptions } from "../../server/http1/listener.ts";
import { MAX_REQUEST_BODY } from "../../server/http1/listener.ts";
import type { FastRoute } from "../../server/routes/exchange_fast.ts";

const DEFAULT_TIMEOUTS = {
  headersMs: 5_000,
  requestMs: 15_000,
  keepAliveMs: 60_000,
};

/** Start listening; periodic TLS checks swap the certificate on the live listener. */
export async function startNodeListener(options: ListenerOptions): Promise<Listener> {
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
  const source = { headers: req.rawHeaders, readBody: (cap: number) => readAll(req, cap) };
  const answer = await fast.serve(source, new HandlerInfo(peer, res), MAX_REQUEST_BODY);
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

/** True when the request announces a body (HTTP/1.1 framing, RFC 9112 §6.3). */
function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

interface LazyBody {
  stream: ReadableStream<Uint8Array>;
  /** Stop listening (after the response): whatever node discards later must not be queued here. */
  detach(): void;
}

/**
 * The body of `req` as a stream that pulls one chunk per read (high-water mark 0): the socket stays paused, so an
 * unread body costs only the kernel's and node's bounded buffers. Past `cap` bytes the stream fails with BodyOverCap;
 * a client that leaves mid-body fails it with ClientGone.
 */
function lazyBody(req: http.IncomingMessage, cap: number): LazyBody {
  let total = 0;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const detach = () => {
    req.off("data", onData).off("end", onEnd).off("error", onGone).off("close", onGone);
  };
  const fail = (err: Error) => {
    detach();
    controller.error(err);
  };
  const onData = (chunk: Uint8Array) => {
    total += chunk.byteLength;
    if (total > cap) return fail(new BodyOverCap(`request body over ${cap} bytes`));
    controller.enqueue(chunk);
    if ((controller.desiredSize ?? 0) <= 0) req.pause();
  };
  const onEnd = () => (detach(), controller.close());
  const onGone = () => fail(new ClientGone("the client left before the request body ended"));
  req.pause(); // before the 'data' listener, which would otherwise start the flow
  req.on("data", onData).on("end", onEnd).on("error", onGone).on("close", onGone);
  const stream = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    pull: () => void req.resume(),
    cancel: () => detach(),
  }, { highWaterMark: 0 });
  return { stream, detach };
}

/** The whole body, at most `cap` bytes (BodyOverCap past it); a client leaving mid-body fails it with ClientGone. */
function readAll(req: http.IncomingMessage, cap: number): Promise<Uint8Array> {
  if (req.complete && req.readableLength === 0) return Promise.resolve(new Uint8Array(0));
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const done = () => void req.off("data", onData).off("end", onEnd).off("error", onGone).off("close", onGone);
    const onData = (chunk: Uint8Array) => {
      total += chunk.byteLength;
      if (total > cap) {
        done();
        req.pause();
        reject(new BodyOverCap(`request body over ${cap} bytes`));
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      const out = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) out.set(c, at), at += c.byteLength;
      resolve(out);
    };
    const onGone = () => (done(), reject(new ClientGone("the client left before the request body ended")));
    req.on("data", onData).on("end", onEnd).on("error", onGone).on("close", onGone);
    req.resume();
  });
}
