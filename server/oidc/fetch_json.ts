/** @module Bounded JSON GET for discovery and JWKS: a deadline, a body cap, no redirects, 200 only. */

import { TalosOidcError } from "../../shared/errors.ts";
import { fetchFailureReason } from "../../shared/fetch_reason.ts";
import { BodyTooLarge, readCapped } from "../../shared/read_capped.ts";

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
      const why = controller.signal.aborted
        ? `no answer within ${options.timeoutMs} ms`
        : `the request failed: ${fetchFailureReason(err)}`;
      throw fail(why, err);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw fail(`the server answered HTTP ${res.status}`);
    }
    const bytes = await readCapped(res.body, options.maxBytes, res.headers.get("content-length")).catch((err) => {
      throw fail(
        err instanceof BodyTooLarge
          ? `the body is larger than ${options.maxBytes} bytes`
          : controller.signal.aborted
          ? `the body did not arrive within ${options.timeoutMs} ms`
          : "reading the body failed",
        err,
      );
    });
    try {
      return JSON.parse(utf8.decode(bytes));
    } catch (err) {
      throw fail("the body is not UTF-8 JSON", err);
    }
  } finally {
    clearTimeout(timer);
  }
}
