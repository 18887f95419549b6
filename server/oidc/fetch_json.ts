/** @module Bounded JSON GET for discovery and JWKS: a deadline, a body cap, no redirects, 200 only. */

import { TalosOidcError } from "../../shared/errors.ts";

export interface FetchJsonOptions {
  fetch: typeof fetch;
  /** Deadline for the whole exchange, body included. */
  timeoutMs: number;
  /** Largest body read, in bytes. */
  maxBytes: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** GET `url` and parse its JSON body; every failure is ERR_DISCOVERY naming the URL (never a body). */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<unknown> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const fail = (what: string, cause?: unknown) =>
    new TalosOidcError("ERR_DISCOVERY", `fetching "${url}": ${what}`, { cause });
  try {
    let res: Response;
    try {
      // Redirects are refused: the issuer's documents must be served where discovery says they are.
      res = await options.fetch(url, {
        redirect: "manual",
        signal: controller.signal,
        headers: { accept: "application/json, application/jwk-set+json" },
      });
    } catch (err) {
      throw fail(controller.signal.aborted ? `no answer within ${options.timeoutMs} ms` : "the request failed", err);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw fail(`the server answered HTTP ${res.status}`);
    }
    const bytes = await readCapped(res, options.maxBytes).catch((err) => {
      throw err instanceof TalosOidcError ? err : fail(
        controller.signal.aborted
          ? `the body did not arrive within ${options.timeoutMs} ms`
          : "reading the body failed",
        err,
      );
    });
    if (bytes === undefined) throw fail(`the body is larger than ${options.maxBytes} bytes`);
    try {
      return JSON.parse(utf8.decode(bytes));
    } catch (err) {
      throw fail("the body is not UTF-8 JSON", err);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The whole body, or undefined (and the stream cancelled) once it passes `max` bytes. */
async function readCapped(res: Response, max: number): Promise<Uint8Array | undefined> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > max) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
