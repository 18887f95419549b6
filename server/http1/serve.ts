/**
 * @module One request on an Http1Connection answered: by the fast route (POST <path> with a sized body, parsed head
 * and body bytes handed over directly) or by the fetch handler (a Request with a lazy body stream), head and body of
 * the answer in one write. An answer with a text/event-stream body is streamed chunk by chunk instead.
 */

import type { Logger } from "../../shared/log.ts";
import { MAX_EXCHANGE_BODY } from "../../shared/protocol.ts";
import type { FastAnswer, FastRoute } from "../routes/exchange_fast.ts";
import type { Http1Connection } from "./connection.ts";
import { ClientGone } from "./errors.ts";
import type { RequestHead } from "./head.ts";
import { bodyless, closingAnswer, headerLine, joinAnswer, statusLines } from "./response.ts";

/**
 * The most body any request may stream to the handler: what the largest route takes (/exchange). Each route's own
 * limit is the app's (server/middleware/body_limit.ts), checked before the handler reads anything.
 */
export const MAX_REQUEST_BODY = MAX_EXCHANGE_BODY;

export type FetchHandler = (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response | Promise<Response>;

export interface ServeOptions {
  handler: FetchHandler;
  fast?: FastRoute;
  scheme: "http" | "https";
  logger: Logger;
  stopping(): boolean;
  /** This loop holds more than its share of the port's connections: close this one after its answer. */
  shed?(): boolean;
}

/** Methods a fetch Request cannot carry (it throws): refused here with 405. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
const HOST = /^[A-Za-z0-9.\-:\[\]]{1,255}$/;
const enc = new TextEncoder();

/** Answer `head` on `c`; true when the connection may carry another request. */
export async function serveRequest(c: Http1Connection, head: RequestHead, o: ServeOptions): Promise<boolean> {
  if (typeof head.length === "number" && head.length > MAX_REQUEST_BODY) {
    await c.write(closingAnswer(413, "request body too large or unreadable", "ERR_BODY_TOO_LARGE"));
    return false;
  }
  if (FORBIDDEN_METHODS.has(head.method)) {
    await c.write(closingAnswer(405, "method not allowed", "ERR_METHOD_NOT_ALLOWED"));
    return false;
  }
  const info = new HandlerInfo(c.remoteAddr);
  try {
    const fast = o.fast;
    if (fast && head.method === "POST" && head.target === fast.path && head.length !== "chunked") {
      let answer: FastAnswer;
      try {
        answer = await fast.serve({ headers: head.headers, readBody: (cap) => c.readAll(cap) }, info, MAX_REQUEST_BODY);
      } catch (err) {
        return await failed(c, head, o, err);
      }
      if (c.closed) return false;
      let lines = statusLines(answer.status);
      for (const [k, v] of answer.headers) lines += headerLine(k, v);
      return await writeSized(c, head, lines, enc.encode(answer.body), mayKeep(c, head, o));
    }
    return await serveApp(c, head, info, o);
  } finally {
    info.done();
  }
}

async function serveApp(c: Http1Connection, head: RequestHead, info: HandlerInfo, o: ServeOptions): Promise<boolean> {
  // GET and HEAD never carry a body into the handler (fetch forbids it); one sent anyway is never read.
  const withBody = head.method !== "GET" && head.method !== "HEAD" && head.length !== 0;
  const body = withBody
    ? new ReadableStream<Uint8Array>({
      pull: async (ctl) => {
        const chunk = await c.nextChunk(MAX_REQUEST_BODY);
        if (chunk) ctl.enqueue(chunk);
        else ctl.close();
      },
    }, { highWaterMark: 0 })
    : undefined;
  const host = head.host !== undefined && HOST.test(head.host) ? head.host : "localhost";
  let request: Request;
  try {
    request = new Request(`${o.scheme}://${host}${head.target}`, { method: head.method, ...(body ? { body } : {}) });
  } catch {
    // A Host that is no URL authority (a port over 65535, "a:b:c", "[") or a method fetch refuses ("connect", a
    // "get" with a body): answered, not dropped without a word.
    await c.write(closingAnswer(400, "invalid Host header or method", "ERR_INVALID_REQUEST"));
    return false;
  }
  // Appended after construction: a Headers passed in `init` is copied entry by entry through WebIDL (~3 µs more).
  const raw = head.headers;
  for (let i = 0; i < raw.length; i += 2) request.headers.append(raw[i]!, raw[i + 1]!);
  let response: Response;
  try {
    response = await o.handler(request, info);
  } catch (err) {
    return await failed(c, head, o, err);
  }
  if (c.closed) return false; // gone mid-body while the handler ran: nobody to answer
  // A body the handler did not read (refused unread, or a route that takes none) is not waited for: the connection
  // closes once this answer is out.
  const keep = mayKeep(c, head, o);
  let lines = statusLines(response.status);
  for (const [k, v] of response.headers) {
    if (k !== "content-length" && k !== "connection" && k !== "transfer-encoding" && k !== "date") {
      lines += headerLine(k, v);
    }
  }
  if (head.method === "HEAD" || bodyless(response.status)) {
    const length = head.method === "HEAD" ? response.headers.get("content-length") : null;
    if (length !== null) lines += `content-length: ${length}\r\n`;
    await response.body?.cancel();
    return await c.write(joinAnswer(`${lines}${connectionLine(head, keep)}\r\n`, "")) && keep;
  }
  if (response.headers.get("content-type")?.startsWith("text/event-stream") && response.body) {
    return await stream(c, head, lines, response.body, keep);
  }
  // Not `response.body`: that getter wraps a string body (every JSON answer) in a ReadableStream, which
  // arrayBuffer() then drains chunk by chunk. A null body reads as empty.
  return await writeSized(c, head, lines, new Uint8Array(await response.arrayBuffer()), keep);
}

/** An event stream: chunked (HTTP/1.1) or until close (1.0), each piece in one write; ends when either side does. */
async function stream(
  c: Http1Connection,
  head: RequestHead,
  lines: string,
  body: ReadableStream<Uint8Array>,
  keep: boolean,
): Promise<boolean> {
  const chunked = !head.http10;
  keep &&= chunked;
  const reader = body.getReader();
  const unhook = c.onClose(() => void reader.cancel().catch(() => {}));
  try {
    return await pump(c, reader, chunked, `${lines}${chunked ? "transfer-encoding: chunked\r\n" : ""}`, head, keep);
  } finally {
    unhook();
  }
}

async function pump(
  c: Http1Connection,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  chunked: boolean,
  lines: string,
  head: RequestHead,
  keep: boolean,
): Promise<boolean> {
  if (!(await c.write(joinAnswer(`${lines}${connectionLine(head, keep)}\r\n`, "")))) return false;
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (done || !value) break;
    if (value.byteLength === 0) continue;
    const piece = chunked ? joinAnswer(`${value.byteLength.toString(16)}\r\n`, concat(value, CRLF)) : value;
    if (!(await c.write(piece))) return false;
  }
  if (chunked && !(await c.write(LAST_CHUNK))) return false;
  return keep;
}

const CRLF = enc.encode("\r\n");
const LAST_CHUNK = enc.encode("0\r\n\r\n");

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** A handler that threw: 500 with no body (logged, unless the client had left mid-body: nobody to answer). */
async function failed(c: Http1Connection, head: RequestHead, o: ServeOptions, err: unknown): Promise<boolean> {
  if (c.closed) return false;
  if (!(err instanceof ClientGone)) o.logger.error("answering a request failed", { error: err });
  const lines = `${statusLines(500)}content-type: application/json\r\n`;
  return await writeSized(c, head, lines, new Uint8Array(0), mayKeep(c, head, o));
}

/** Whether the connection may carry another request after this answer: an unread body is skipped if it is all in. */
function mayKeep(c: Http1Connection, head: RequestHead, o: ServeOptions): boolean {
  return head.keepAlive && c.finishBody() && !o.stopping() && !o.shed?.();
}

/** An answer with a sized body, head and body in one write; true when the connection may carry another request. */
async function writeSized(
  c: Http1Connection,
  head: RequestHead,
  lines: string,
  body: Uint8Array,
  keep: boolean,
): Promise<boolean> {
  lines += `content-length: ${body.byteLength}\r\n${connectionLine(head, keep)}\r\n`;
  return await c.write(joinAnswer(lines, body)) && keep;
}

function connectionLine(head: RequestHead, keep: boolean): string {
  if (!keep) return "connection: close\r\n";
  return head.http10 ? "connection: keep-alive\r\n" : "";
}

/**
 * The handler's view of its connection (the Deno.serve shape). A class, not an object literal with a getter: V8 gave
 * each such literal its own hidden class, and through the getter's closure that kept every request's objects alive
 * across minor GCs (bench/REPORT.md's latency notes).
 */
class HandlerInfo implements Deno.ServeHandlerInfo<Deno.NetAddr> {
  #completed: Promise<void> | undefined; // made on first use: most handlers never ask
  #resolve: (() => void) | undefined;
  #finished = false;
  constructor(readonly remoteAddr: Deno.NetAddr) {}
  /** Settles once the answer is out (or could not be written). */
  get completed(): Promise<void> {
    if (this.#completed) return this.#completed;
    if (this.#finished) return this.#completed = Promise.resolve();
    return this.#completed = new Promise<void>((r) => (this.#resolve = r));
  }
  readonly done = (): void => {
    this.#finished = true;
    this.#resolve?.();
  };
}
