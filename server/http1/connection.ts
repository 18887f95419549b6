/**
 * @module One HTTP/1.1 connection: reads request heads (parsed strictly, head.ts) and bodies from its own buffer,
 * one request at a time (pipelined requests wait in the buffer and are answered in order), writes each answer, and
 * carries the deadlines the listener's sweep enforces: the first head within the headers limit of the accept (TLS
 * handshake included), each request within the request limit (408), an idle keep-alive connection closed.
 */

import { ChunkedDecoder, ChunkedError } from "./chunked.ts";
import { BodyOverCap, ClientGone } from "./errors.ts";
import { headEnd, HeadError, MAX_HEAD_BYTES, parseHead, type RequestHead } from "./head.ts";
import { closingAnswer } from "./response.ts";

/** The slow-client limits, in milliseconds. */
export interface Timeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

/** The byte stream under a connection: a Deno.Conn, or a node socket (node_conn.ts). */
export interface Transport {
  readonly remoteAddr: Deno.Addr;
  read(into: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

/** What the connection needs from its listener. */
export interface ConnContext {
  timeouts: Timeouts;
  /** Answer one request; true when the connection may carry another. */
  serve(conn: Http1Connection, head: RequestHead): Promise<boolean>;
  stopping(): boolean;
}

/** idle: between requests (or before the first byte); head/body: receiving; busy: the handler has the request. */
type Phase = "idle" | "head" | "body" | "busy";

const CRLF_CRLF_GUARD = 3;
const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

export class Http1Connection {
  phase: Phase = "idle";
  /**
   * When the current phase's limit runs out, on the monotonic clock (performance.now(), as `acceptedAt`): a wall-clock
   * step must not close every keep-alive connection at once (+5 min) nor let a slowloris outlive its limit (-5 min).
   * The listener's sweep calls expire().
   */
  deadline: number;
  closed = false;
  #buf = new Uint8Array(8192);
  #start = 0;
  #end = 0;
  #first = true;
  #requestDeadline = Infinity;
  // The current request's body: bytes left (Content-Length) or the chunked decoder; done once all was read.
  #left = 0;
  #chunked: ChunkedDecoder | undefined;
  #bodyDone = true;
  #broken = false;
  #sendContinue = false;
  #total = 0;
  #onClose = new Set<() => void>();

  constructor(readonly conn: Transport, private readonly ctx: ConnContext, readonly acceptedAt: number) {
    this.deadline = acceptedAt + ctx.timeouts.headersMs;
  }

  get remoteAddr(): Deno.NetAddr {
    return this.conn.remoteAddr as Deno.NetAddr;
  }

  /** Serve requests until either side closes. */
  async run(): Promise<void> {
    try {
      for (;;) {
        const head = await this.#readHead();
        if (!head) break;
        this.#startBody(head);
        if (!(await this.ctx.serve(this, head))) break;
        this.#first = false;
      }
    } catch (err) {
      if (err instanceof HeadError) await this.write(closingAnswer(err.status, err.message, "ERR_INVALID_REQUEST"));
    } finally {
      this.close();
    }
  }

  /** The sweep found the deadline passed: 408 for a request still arriving, else close. */
  expire(): void {
    if (this.phase === "head" || this.phase === "body") {
      void this.write(closingAnswer(408, "request not received in time", "ERR_INVALID_REQUEST")).finally(() =>
        this.close()
      );
      this.deadline = Infinity;
    } else if (this.phase === "idle") this.close();
  }

  /** Close the connection (idempotent); pending reads and writes fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch { /* already gone */ }
    for (const f of this.#onClose) f();
    this.#onClose.clear();
  }

  /** Call `f` once the connection is closed (at once when it is); the returned function cancels that. */
  onClose(f: () => void): () => void {
    if (this.closed) return (f(), () => {});
    this.#onClose.add(f);
    return () => void this.#onClose.delete(f);
  }

  /** Write all of `bytes`; false when the connection is gone. */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      for (let at = 0; at < bytes.byteLength;) at += await this.conn.write(bytes.subarray(at));
      return true;
    } catch {
      this.close();
      return false;
    }
  }

  /** True when the whole body was read, or what is left of it is already here (it is skipped then). */
  finishBody(): boolean {
    if (this.#bodyDone) return !this.#broken;
    if (!this.#chunked && this.#end - this.#start >= this.#left) {
      this.#start += this.#left;
      this.#left = 0;
      this.#bodyDone = true;
    }
    return this.#bodyDone && !this.#broken;
  }

  /** The next piece of the body (null at its end); BodyOverCap past `cap`, ClientGone when the client left. */
  async nextChunk(cap: number): Promise<Uint8Array | null> {
    if (this.#bodyDone) return null;
    await this.#beginBody();
    try {
      for (;;) {
        if (this.#start === this.#end && !(await this.#fill())) throw this.#gone();
        if (this.#chunked) {
          const d = this.#chunked;
          this.#start = d.decode(this.#buf, this.#start, this.#end);
          if (d.dataTo > d.dataFrom) return this.#count(this.#buf.slice(d.dataFrom, d.dataTo), cap);
          if (d.done) return (this.#bodyDone = true, null);
        } else {
          const take = Math.min(this.#left, this.#end - this.#start);
          const chunk = this.#buf.slice(this.#start, this.#start + take);
          this.#start += take;
          if ((this.#left -= take) === 0) this.#bodyDone = true;
          return this.#count(chunk, cap);
        }
      }
    } catch (err) {
      if (err instanceof ChunkedError) this.#broken = true;
      throw err;
    } finally {
      if (this.phase === "body") this.phase = "busy";
    }
  }

  /** The whole body (at most `cap` bytes). */
  async readAll(cap: number): Promise<Uint8Array> {
    if (this.#chunked) {
      const parts: Uint8Array[] = [];
      for (let c = await this.nextChunk(cap); c; c = await this.nextChunk(cap)) parts.push(c);
      const out = new Uint8Array(this.#total);
      let at = 0;
      for (const p of parts) out.set(p, at), at += p.byteLength;
      return out;
    }
    const n = this.#left;
    if (this.#bodyDone) return new Uint8Array(0);
    if (n > cap) throw new BodyOverCap(`request body over ${cap} bytes`);
    const have = this.#end - this.#start;
    if (have >= n) { // the usual case: the body came with its head
      const out = this.#buf.slice(this.#start, this.#start + n);
      this.#start += n;
      this.#left = 0;
      this.#bodyDone = true;
      return out;
    }
    const out = new Uint8Array(n);
    out.set(this.#buf.subarray(this.#start, this.#end));
    this.#start = this.#end;
    let at = have;
    await this.#beginBody();
    try {
      while (at < n) {
        const r = await this.conn.read(out.subarray(at)).catch(() => null);
        if (r === null) throw this.#gone();
        at += r;
        this.#left -= r;
      }
    } finally {
      if (this.phase === "body") this.phase = "busy";
    }
    this.#bodyDone = true;
    return out;
  }

  async #beginBody(): Promise<void> {
    this.phase = "body";
    this.deadline = this.#requestDeadline;
    if (this.#sendContinue) {
      this.#sendContinue = false;
      if (this.#start === this.#end && !(await this.write(CONTINUE))) throw this.#gone();
    }
  }

  #count(chunk: Uint8Array, cap: number): Uint8Array {
    if ((this.#total += chunk.byteLength) > cap) {
      this.#broken = true;
      throw new BodyOverCap(`request body over ${cap} bytes`);
    }
    return chunk;
  }

  #gone(): ClientGone {
    this.#broken = true;
    return new ClientGone("the client left before the request body ended");
  }

  #startBody(head: RequestHead): void {
    this.#chunked = head.length === "chunked" ? new ChunkedDecoder() : undefined;
    this.#left = head.length === "chunked" ? 0 : head.length;
    this.#bodyDone = head.length === 0;
    this.#sendContinue = head.expectContinue && !this.#bodyDone;
    this.#total = 0;
  }

  /** The next request head; null when the client closed (or stopped sending) between requests, or we are stopping. */
  async #readHead(): Promise<RequestHead | null> {
    const t = this.ctx.timeouts;
    this.phase = "idle";
    if (!this.#first) this.deadline = performance.now() + t.keepAliveMs;
    let scanned = 0; // bytes of this head already searched for its end
    for (;;) {
      // Empty lines before a request line are ignored (RFC 9112 §2.2).
      while (this.#end - this.#start >= 2 && this.#buf[this.#start] === 13 && this.#buf[this.#start + 1] === 10) {
        this.#start += 2;
      }
      if (this.#start < this.#end && this.phase === "idle") {
        const now = performance.now();
        this.phase = "head";
        this.#requestDeadline = (this.#first ? this.acceptedAt : now) + t.requestMs;
        this.deadline = Math.min((this.#first ? this.acceptedAt : now) + t.headersMs, this.#requestDeadline);
      }
      const end = headEnd(this.#buf, this.#start, this.#end, this.#start + scanned);
      if (end !== -1) {
        const head = parseHead(this.#buf.subarray(this.#start, end));
        this.#start = end;
        this.phase = "busy";
        return head;
      }
      if (this.#end - this.#start >= MAX_HEAD_BYTES) throw new HeadError(431, "request head too large");
      scanned = Math.max(0, this.#end - this.#start - CRLF_CRLF_GUARD);
      if (this.phase === "idle" && this.ctx.stopping()) return null;
      if (!(await this.#fill())) return null;
    }
  }

  /** Read more into the buffer (compacting or growing it first when full); false at the end of the stream. */
  async #fill(): Promise<boolean> {
    if (this.closed) return false;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buf.length) {
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const bigger = new Uint8Array(Math.min(this.#buf.length * 2, MAX_HEAD_BYTES + 8192));
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
    }
    const n = await this.conn.read(this.#buf.subarray(this.#end)).catch(() => null);
    if (n === null) return false;
    this.#end += n;
    return true;
  }
}
