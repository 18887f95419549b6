/**
 * @module The HTTP(S) listener: our own HTTP/1.1 layer (connection.ts, head.ts, serve.ts), each answer in one write,
 * over Deno.listen for plain HTTP and node:tls for HTTPS. Why not node:http(s): its HTTP layer cost 11 µs of CPU per
 * request more than ours (bench/REPORT.md, tls_layer_bench). Why not Deno.serve: with TLS it leaves Nagle's algorithm
 * on and writes head and body apart, so every answer over ~700 bytes waited for the client's delayed ACK (+40 ms).
 * Why TLS stays on node:tls (node_conn.ts): a Deno.listenTls connection whose client never starts the handshake
 * cannot be closed, and node:tls swaps the certificate on the live listener (setSecureContext).
 */

import { balancer, type LoopBalance } from "./balance.ts";
import type { Logger } from "../../shared/log.ts";
import { DEFAULT_MAX_CONNECTIONS } from "../config_limits.ts";
import type { FastRoute } from "../routes/exchange_fast.ts";
import type { PemPair } from "../tls/self_signed.ts";
import type { TlsSource } from "../tls/source.ts";
import { Http1Connection, type Timeouts, type Transport } from "./connection.ts";
import type { RequestHead } from "./head.ts";
import { reusePortAvailable } from "./port.ts";
import { denoTransport, nodeTransport } from "./transports.ts";
import { type FetchHandler, type ServeOptions, serveRequest } from "./serve.ts";

export { type FetchHandler, MAX_REQUEST_BODY } from "./serve.ts";

/**
 * Slow-client limits, the original tool's: the request headers within 5 s (the TLS handshake included), the whole
 * request within 15 s (408), an idle keep-alive connection closed after 60 s.
 */
export type ListenerTimeouts = Timeouts;

const DEFAULT_TIMEOUTS: Readonly<ListenerTimeouts> = { headersMs: 5_000, requestMs: 15_000, keepAliveMs: 60_000 };

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
  /** The loops sharing this port count their connections here; this one closes some when it holds too many. */
  balance?: LoopBalance;
  /** Most open connections (default DEFAULT_MAX_CONNECTIONS); one more is closed as it is accepted. */
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
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new RangeError(`maxConnections must be a positive integer, got ${maxConnections}`);
  }
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const first = tls.current();
  let stopping = false;
  const conns = new Set<Http1Connection>();
  const balance = options.balance ? balancer(options.balance) : undefined;
  const drained = Promise.withResolvers<void>();
  const serve: ServeOptions = {
    handler: options.handler,
    ...(options.fast ? { fast: options.fast } : {}),
    scheme: first ? "https" : "http",
    logger,
    stopping: () => stopping,
    ...(balance ? { shed: balance.shed } : {}),
  };
  const ctx = {
    timeouts,
    stopping: () => stopping,
    serve: (c: Http1Connection, h: RequestHead) => serveRequest(c, h, serve),
  };
  const admit = (t: Transport, acceptedAt: number) => {
    if (stopping || conns.size >= maxConnections) return t.close(); // over max_connections: closed as accepted
    const c = new Http1Connection(t, ctx, acceptedAt);
    conns.add(c);
    balance?.opened();
    void c.run().finally(() => {
      conns.delete(c);
      balance?.closed();
      if (stopping && conns.size === 0) drained.resolve();
    });
  };
  // Deno.listen for plain HTTP, unless the port must be shared (workers) and this runtime cannot (no --unstable-net).
  const transport = first || (options.reusePort === true && !reusePortAvailable())
    ? await nodeTransport(options, first, timeouts.headersMs, maxConnections, admit)
    : denoTransport(options, logger, admit);
  const addr = transport.addr;
  const sweep = setInterval(() => {
    const t = performance.now(); // monotonic, as every deadline: a wall-clock step neither cuts nor spares a client
    for (const c of conns) if (c.deadline <= t) c.expire();
  }, Math.min(1_000, timeouts.headersMs / 2));

  let reloads = 0;
  let checking: Promise<boolean> | undefined;
  const check = (): Promise<boolean> => {
    if (stopping) return Promise.resolve(false);
    checking ??= (async () => {
      try {
        if (!(await tls.refresh(now())) || stopping) return false;
        const next = tls.current()!;
        transport.setPair(next);
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
  const timer = first ? setInterval(() => void check().catch(() => {}), options.checkIntervalMs ?? 60_000) : undefined;

  return {
    addr,
    get reloads() {
      return reloads;
    },
    checkNow: check,
    async shutdown() {
      if (!stopping) {
        stopping = true;
        if (timer !== undefined) clearInterval(timer);
        transport.stop(); // no new connection from here on (synchronously: callers log that it stopped accepting)
        for (const c of conns) if (c.phase === "idle") c.close();
        if (conns.size === 0) drained.resolve();
      }
      await checking?.catch(() => {});
      await drained.promise;
      await transport.stopped;
      clearInterval(sweep);
    },
    closeAll() {
      for (const c of conns) c.close();
      transport.closeAll();
    },
  };
}
