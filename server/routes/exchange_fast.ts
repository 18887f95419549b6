/**
 * @module POST /exchange straight off the listener's parsed request (server/http1/): the same middleware and handler instances the Hono app mounts for
 * that route (request id, client IP, allowlist, per-IP limit, body limit, the exchange, onError), run on a small
 * context with Hono's semantics, without building a fetch Request, routing, or a Response (bench/REPORT.md, peer
 * section, says what it bought). Everything else, and any /exchange request with a chunked body, takes the app.
 */

import type { Context, ErrorHandler, MiddlewareHandler } from "hono";
import type { ServerMetrics } from "../metrics/server_metrics.ts";

/** The answer the listener writes: header names in lower case, in the order a fetch Response would list them. */
export interface FastAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

/** A request as the listener parsed it: its header fields, and its body read on demand. */
export interface FastRequestSource {
  /** Names and values as sent, flattened: name, value, name, value... */
  readonly headers: readonly string[];
  /** The whole body, at most `cap` bytes (BodyOverCap past it, ClientGone when the client leaves mid-body). */
  readBody(cap: number): Promise<Uint8Array>;
}

/** What the listener calls for a POST /exchange it serves without the app. */
export interface FastRoute {
  /** The exact request target served (no query string: anything else goes to the app). */
  readonly path: string;
  serve(req: FastRequestSource, info: Deno.ServeHandlerInfo<Deno.NetAddr>, cap: number): Promise<FastAnswer>;
}

export interface FastRouteOptions {
  path: string;
  /** In the app's order, the route's handler last. */
  chain: MiddlewareHandler[];
  onError: ErrorHandler;
  metrics?: Pick<ServerMetrics, "request">;
}

/** Build the route: `chain` runs as Hono's compose() runs it, errors answered by `onError` where they are thrown. */
export function fastRoute(o: FastRouteOptions): FastRoute {
  const { chain, onError, path } = o;
  const dispatch = async (c: FastContext, i: number): Promise<void> => {
    const handler = chain[i];
    if (!handler) return;
    let res: unknown;
    let isError = false;
    try {
      res = await handler(c as unknown as Context, () => dispatch(c, i + 1));
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      c.error = err;
      res = await onError(err, c as unknown as Context);
      isError = true;
    }
    if (res instanceof FastResponse && (!c.finalized || isError)) c.res = res;
  };
  return {
    path,
    async serve(req, info, cap) {
      const start = performance.now();
      const c = new FastContext(req, info, path, cap);
      try {
        await dispatch(c, 0);
      } finally {
        o.metrics?.request(path, "POST", c.res?.status ?? 500, (performance.now() - start) / 1000);
      }
      const res = c.res;
      if (!res) throw new TypeError(`${path}: the handler gave no response`);
      return { status: res.status, headers: res.headers.entries(), body: res.body };
    },
  };
}

/** Headers with the fetch Headers semantics these handlers rely on: names case-insensitive, set replaces. */
class FastHeaders {
  #map: Map<string, string>;
  constructor(from?: FastHeaders) {
    this.#map = new Map(from ? from.#map : undefined);
  }
  get(name: string): string | null {
    return this.#map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.#map.set(name.toLowerCase(), String(value));
  }
  append(name: string, value: string): void {
    const k = name.toLowerCase(), had = this.#map.get(k);
    this.#map.set(k, had === undefined ? String(value) : `${had}, ${value}`);
  }
  delete(name: string): void {
    this.#map.delete(name.toLowerCase());
  }
  /** Sorted by name, as a fetch Headers iterates. */
  entries(): [string, string][] {
    return [...this.#map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

class FastResponse {
  constructor(readonly status: number, readonly headers: FastHeaders, readonly body: string) {}
}

/** The request's headers as a fetch Request would show them: every value of a repeated name, joined by ", ". */
class RequestHeaders {
  constructor(private readonly raw: readonly string[]) {}
  get(name: string): string | null {
    const want = name.toLowerCase();
    let out: string | null = null;
    for (let i = 0; i < this.raw.length; i += 2) {
      if (this.raw[i]!.toLowerCase() === want) out = out === null ? this.raw[i + 1]! : `${out}, ${this.raw[i + 1]!}`;
    }
    return out;
  }
  has(name: string): boolean {
    return this.get(name) !== null;
  }
}

/** `c.req`: what the /exchange middleware reads of the request. */
class FastRequest {
  readonly method = "POST";
  readonly raw: { headers: RequestHeaders; body: null; arrayBuffer(): Promise<ArrayBuffer> };
  constructor(req: FastRequestSource, readonly path: string, cap: number) {
    const headers = new RequestHeaders(req.headers);
    // Read only when the handler asks (after every guard passed), like the app's lazy body.
    this.raw = { headers, body: null, arrayBuffer: () => req.readBody(cap).then(ownBuffer) };
  }
  header(name: string): string | undefined {
    return this.raw.headers.get(name) ?? undefined;
  }
}

/** The subset of Hono's Context the /exchange chain uses, with the same semantics. */
class FastContext {
  readonly req: FastRequest;
  error: Error | undefined;
  finalized = false;
  #vars = new Map<string, unknown>();
  #prepared = new FastHeaders();
  #res: FastResponse | undefined;
  constructor(req: FastRequestSource, readonly env: Deno.ServeHandlerInfo<Deno.NetAddr>, path: string, cap: number) {
    this.req = new FastRequest(req, path, cap);
  }
  get var(): Record<string, unknown> {
    return Object.fromEntries(this.#vars);
  }
  get(key: string): unknown {
    return this.#vars.get(key);
  }
  set(key: string, value: unknown): void {
    this.#vars.set(key, value);
  }
  header(name: string, value: string | undefined, options?: { append?: boolean }): void {
    const h = this.#res ? this.#res.headers : this.#prepared;
    if (value === undefined) h.delete(name);
    else if (options?.append) h.append(name, value);
    else h.set(name, value);
  }
  json(object: unknown, status?: number): FastResponse {
    const headers = new FastHeaders(this.#res ? this.#res.headers : this.#prepared);
    headers.set("content-type", "application/json");
    return new FastResponse(status ?? 200, headers, JSON.stringify(object));
  }
  get res(): FastResponse | undefined {
    return this.#res;
  }
  set res(r: FastResponse | undefined) {
    this.#res = r;
    this.finalized = r !== undefined;
  }
}

/** The bytes' own ArrayBuffer (the listener hands out exact-size copies), else a copy. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const b = bytes.buffer;
  if (b instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === b.byteLength) return b;
  return bytes.slice().buffer as ArrayBuffer;
}
