/**
 * @module A node:net / node:tls socket in the shape Http1Connection reads and writes (read into a buffer, write,
 * close). TLS stays on node:tls: Deno.listenTls cannot close a connection whose client never starts the handshake
 * (its TLS stream waits for the handshake before it lets go of the socket), and it has no setSecureContext.
 */

import type { Socket } from "node:net";

/** Past this many unread bytes the socket is paused until the connection reads again. */
const HIGH_WATER = 64 * 1024;

export class NodeConn {
  readonly remoteAddr: Deno.NetAddr;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(private readonly socket: Socket) {
    this.remoteAddr = { transport: "tcp", hostname: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
    const end = () => {
      this.#ended = true;
      this.#notify();
    };
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      if ((this.#buffered += chunk.byteLength) > HIGH_WATER) socket.pause();
      this.#notify();
    }).on("end", end).on("close", end).on("error", end);
  }

  /** Bytes read into `into`, or null at the end of the stream. */
  async read(into: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#ended) return null;
      await new Promise<void>((r) => (this.#wake = r));
    }
    const chunk = this.#chunks[0]!;
    const n = Math.min(chunk.byteLength, into.byteLength);
    into.set(n === chunk.byteLength ? chunk : chunk.subarray(0, n));
    if (n === chunk.byteLength) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    if ((this.#buffered -= n) <= HIGH_WATER && this.socket.isPaused()) this.socket.resume();
    return n;
  }

  /** Write all of `bytes` in one socket write. */
  write(bytes: Uint8Array): Promise<number> {
    if (this.#ended || this.socket.destroyed) return Promise.reject(new Error("the connection is closed"));
    return new Promise((resolve, reject) =>
      this.socket.write(bytes, (err) => err ? reject(err) : resolve(bytes.byteLength))
    );
  }

  close(): void {
    this.#ended = true;
    this.socket.destroy();
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
