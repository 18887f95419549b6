/**
 * @module POST /exchange straight off node:http: the same middleware and handler instances the Hono app mounts for
 * that route (request id, client IP, allowlist, per-IP limit, body limit, the exchange, onError), run on a small
 * context with Hono's semantics, without building a fetch Request, routing, or a Response (bench/REPORT.md, peer
 * section, says what it bought). Everything else, and any /exchange request with a chunked body, takes the app.
 */

import type http from "node:http";
import type { Context, ErrorHandler, MiddlewareHandler } from "hono";
import type { ServerMetrics } from "../metrics/server_metrics.ts";
import { BodyOverCap, ClientGone } from "../tls/request_body.ts";

/** The answer the listener writes: header names in lower case, in the order a fetch Response would list them. */
export interface FastAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

/** What the listener calls for a POST /exchange it serves without the app. */
export interface FastRoute {
  /** The exact request target served (no query string: anything else goes to the app). */
  readonly path: string;
  serve(req: http.IncomingMessage, info: Deno.ServeHandlerInfo<Deno.NetAddr>, cap: number): Promise<FastAnswer>;
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
  constructor(private readonly raw: string[]) {}
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
  constructor(req: http.IncomingMessage, readonly path: string, cap: number) {
    const headers = new RequestHeaders(req.rawHeaders);
    // Read only when the handler asks (after every guard passed), like the app's lazy body.
    this.raw = { headers, body: null, arrayBuffer: () => readAll(req, cap) };
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
  constructor(req: http.IncomingMessage, readonly env: Deno.ServeHandlerInfo<Deno.NetAddr>, path: string, cap: number) {
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

/** The whole body, at most `cap` bytes (BodyOverCap past it); a client leaving mid-body fails it with ClientGone. */
function readAll(req: http.IncomingMessage, cap: number): Promise<ArrayBuffer> {
  if (req.complete && req.readableLength === 0) return Promise.resolve(new ArrayBuffer(0));
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
      resolve(out.buffer);
    };
    const onGone = () => (done(), reject(new ClientGone("the client left before the request body ended")));
    req.on("data", onData).on("end", onEnd).on("error", onGone).on("close", onGone);
    req.resume();
  });
}
