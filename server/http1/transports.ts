/**
 * @module Where connections come from: Deno.listen (plain HTTP: TCP_NODELAY set on each), or a node:tls server (HTTPS:
 * TLS 1.2+, the handshake within the headers limit, live certificate swap) or node:net server (plain HTTP with
 * SO_REUSEPORT on a runtime without --unstable-net). Each hands accepted connections to `admit`.
 */

import net, { type Socket } from "node:net";
import tls from "node:tls";
import type { Logger } from "../../shared/log.ts";
import type { PemPair } from "../tls/self_signed.ts";
import type { Transport } from "./connection.ts";
import { NodeConn } from "./node_conn.ts";

export interface ListenTransport {
  readonly addr: Deno.NetAddr;
  /** Serve new connections with this TLS material (HTTPS only). */
  setPair(pair: PemPair): void;
  /** Stop accepting (synchronously). */
  stop(): void;
  /** Settles once stopped and every socket it accepted is closed. */
  readonly stopped: Promise<void>;
  /** Close sockets not yet handed over (TLS handshakes in progress). */
  closeAll(): void;
}

interface At {
  hostname: string;
  port: number;
  reusePort?: boolean;
}

type Admit = (t: Transport, acceptedAt: number) => void;

/** Deno.listen: plain HTTP. */
export function denoTransport(at: At, logger: Logger, admit: Admit): ListenTransport {
  const listener = Deno.listen({
    hostname: at.hostname,
    port: at.port,
    ...(at.reusePort ? { reusePort: true } : {}),
  });
  const stopped = (async () => {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) return; // closed
        logger.warn("accepting a connection failed", { error: err });
        await new Promise((r) => setTimeout(r, 50)); // out of file descriptors, say: let some close
        continue;
      }
      conn.setNoDelay(true);
      admit(conn, performance.now());
    }
  })();
  return {
    addr: listener.addr,
    setPair: () => {
      throw new TypeError("a plain HTTP listener has no TLS material");
    },
    stop: () => {
      try {
        listener.close();
      } catch { /* closed already */ }
    },
    stopped,
    closeAll: () => {},
  };
}

/** node:tls (with `pair`) or node:net. */
export async function nodeTransport(
  at: At,
  pair: PemPair | undefined,
  handshakeMs: number,
  maxConnections: number,
  admit: Admit,
): Promise<ListenTransport> {
  const server: net.Server = pair
    ? tls.createServer({ ...secure(pair), handshakeTimeout: handshakeMs, noDelay: true })
    : net.createServer({ noDelay: true });
  server.maxConnections = maxConnections; // node closes each connection over it as it is accepted
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  server.on(pair ? "secureConnection" : "connection", (s: Socket) => {
    s.setNoDelay(true);
    admit(new NodeConn(s), performance.now());
  });
  // A failed or timed-out handshake (scanners, wrong CA, a client that never starts one): node:tls leaves the socket
  // open unless told.
  server.on("tlsClientError", (_err: Error, s: tls.TLSSocket) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(
      { port: at.port, host: at.hostname, reusePort: at.reusePort === true },
      () => (server.off("error", reject), resolve()),
    );
  });
  const a = server.address() as net.AddressInfo;
  const stopped = new Promise<void>((resolve) => server.once("close", () => resolve()));
  return {
    addr: { transport: "tcp", hostname: a.address, port: a.port },
    setPair: (next) => (server as tls.Server).setSecureContext(secure(next)),
    stop: () => void server.close(),
    stopped,
    closeAll: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

function secure(pair: PemPair): tls.SecureContextOptions {
  return { cert: pair.certPem, key: pair.keyPem, minVersion: "TLSv1.2" };
}
