/**
 * @module A request body as a lazy ReadableStream over node's IncomingMessage: nothing is read from the socket until
 * the handler reads, so middleware (allowlist, rate limit, per-route size limits) runs before any body byte is taken.
 */

import type http from "node:http";

/** The body grew past the listener's cap (no route takes that much). */
export class BodyOverCap extends RangeError {
  override readonly name = "BodyOverCap";
}

/** The client closed or broke the connection before the body ended: nobody is left to answer. */
export class ClientGone extends Error {
  override readonly name = "ClientGone";
}

/** True when the request announces a body (HTTP/1.1 framing, RFC 9112 §6.3). */
export function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

export interface LazyBody {
  stream: ReadableStream<Uint8Array>;
  /** Stop listening (after the response): whatever node discards later must not be queued here. */
  detach(): void;
}

/**
 * The body of `req` as a stream that pulls one chunk per read (high-water mark 0): the socket stays paused, so an
 * unread body costs only the kernel's and node's bounded buffers. Past `cap` bytes the stream fails with BodyOverCap;
 * a client that leaves mid-body fails it with ClientGone.
 */
export function lazyBody(req: http.IncomingMessage, cap: number): LazyBody {
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
