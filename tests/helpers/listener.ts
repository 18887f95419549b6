/** @module Test helpers for the HTTP listener: a plain-HTTP listener on a free port, the first line a server sends. */

import { nullLogger } from "../../shared/log.ts";
import { type FetchHandler, type ListenerOptions, startListener } from "../../server/http1/listener.ts";
import { createTlsSource } from "../../server/tls/source.ts";

/** A plain-HTTP (insecure mode) listener on a free port, with `handler` and any other listener options. */
export async function plainListener(
  handler: FetchHandler,
  options: Partial<Omit<ListenerOptions, "hostname" | "port" | "tls" | "handler">> = {},
) {
  const tls = await createTlsSource({ mode: "insecure" }, "127.0.0.1", nullLogger, new Date());
  const listener = await startListener({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    logger: nullLogger,
    handler,
    ...options,
  });
  return Object.assign(listener, { url: `http://127.0.0.1:${listener.addr.port}` });
}

/** The first line the server sends before closing (e.g. a 408 status line), or "closed" when it sends nothing. */
export async function firstLine(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(512);
  const n = await conn.read(buf).catch(() => null);
  return n ? new TextDecoder().decode(buf.subarray(0, n)).split("\r\n")[0]! : "closed";
}
