/**
 * @module fetch that trusts exactly one CA bundle (--server-ca). Deno's own `fetch` with
 * `Deno.createHttpClient({ caCerts })` and `Deno.connectTls({ caCerts })` ADD those roots to the default ones (Mozilla's,
 * or the system store with DENO_TLS_CA_STORE=system / SSL_CERT_FILE, plus DENO_CERT): a publicly trusted or corporate
 * interception certificate for the server's host would still be accepted and receive the ID token. node:https's `ca`
 * replaces the roots, and it checks the host name (RFC 6125) as fetch does; tests/server_ca_pin_test.ts proves both.
 */

import { X509Certificate } from "node:crypto";
import https from "node:https";
import { TalosOidcError } from "../shared/errors.ts";
import { readCapped } from "../shared/read_capped.ts";

export interface PinnedRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** A fetch for https:// URLs whose server must chain to the pinned CA bundle and name the URL's host. */
export type PinnedFetch = (url: URL, init?: PinnedRequest) => Promise<Response>;

/** Answers larger than this are refused with BodyTooLarge (an exchange answer is a few KiB). */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * A fetch trusting only the certificates in `caPem`. Redirects are not followed (a 3xx is returned as is).
 * @throws {TalosOidcError} ERR_USAGE when `caPem` holds no parsable PEM certificate.
 */
export function pinnedFetch(caPem: string): PinnedFetch {
  const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (blocks.length === 0) throw new TypeError("no PEM CERTIFICATE block");
    for (const b of blocks) new X509Certificate(b);
  } catch (err) {
    throw new TalosOidcError("ERR_USAGE", "the --server-ca file holds no usable PEM certificate", { cause: err });
  }
  return (url, init = {}) => {
    if (url.protocol !== "https:") throw new TypeError(`pinnedFetch is for https:// URLs, got ${url.protocol}`);
    return new Promise<Response>((resolve, reject) => {
      const req = https.request(url, {
        method: init.method ?? "GET",
        headers: init.headers,
        ca: blocks,
        agent: false,
        ...(init.signal ? { signal: init.signal } : {}),
      }, (res) => {
        readCapped(res, MAX_ANSWER_BYTES, res.headers["content-length"]).then((bytes) => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) headers.append(k, one);
          }
          const status = res.statusCode ?? 502;
          const body = status === 204 || status === 304 ? null : bytes as Uint8Array<ArrayBuffer>;
          resolve(new Response(body, { status, statusText: res.statusMessage ?? "", headers }));
        }, reject);
      });
      req.on("error", reject);
      req.end(init.body);
    });
  };
}
