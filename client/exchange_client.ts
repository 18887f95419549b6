/**
 * @module POST /exchange: trade a verified ID token (and the CSR of a key made here) for a Talos client
 * certificate. TLS is always verified: --server-ca trusts exactly that CA; --insecure only allows http://.
 */

import { TalosOidcError } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import { BodyTooLarge, readCapped } from "../shared/read_capped.ts";
import type { ErrorBody, ExchangeRequest, ExchangeResponse } from "../shared/protocol.ts";
import { certMatchesKey, type ClientKey } from "./csr.ts";
import { MAX_ANSWER_BYTES, type PinnedFetch, pinnedFetch } from "./pinned_fetch.ts";

export interface ExchangeClientOptions {
  /** Base URL of the exchange server (checked with checkServerUrl). */
  server: URL;
  /** PEM CA bundle trusted exclusively for the server (--server-ca). */
  serverCaPem?: string;
  logger: Logger;
  /** Request timeout (default 30 s, as the original tool). */
  timeoutMs?: number;
}

/** The credentials to write, and where the key came from. */
export interface ExchangeResult {
  ca: string;
  cert: string;
  key: string;
  endpoints: string[];
  nodes?: string[];
  ttlSeconds: number;
  /** "client": our key, sent as a CSR. "server": the server made the key (it does not support CSRs). */
  keySource: "client" | "server";
}

/**
 * Parse --server. http:// needs --insecure (unlike the original, --insecure never turns off TLS verification).
 * @throws {TalosOidcError} ERR_USAGE naming --insecure or the bad URL.
 */
export function checkServerUrl(raw: string, insecure: boolean): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch { /* below */ }
  if (!url || !/^https?:$/.test(url.protocol)) {
    throw new TalosOidcError("ERR_USAGE", `invalid --server URL "${raw}"`, {
      hint: "use the exchange server's base URL, for example https://talos-oidc.example.com",
    });
  }
  if (url.protocol === "http:" && !insecure) {
    throw new TalosOidcError("ERR_USAGE", `refusing the plain HTTP server URL "${raw}": it needs --insecure`, {
      hint: "use https://, or pass --insecure to send the ID token over plain HTTP (tests and local setups only)",
    });
  }
  return url;
}

/**
 * Exchange `idToken` for a certificate. With `clientKey`, its CSR is sent and the returned certificate must be
 * for that key. Fallback to a server-made key, decided from the response:
 * - 200 with a `key` although a CSR was sent: the server ignores CSRs (the original tool) → its key is used;
 * - 400 whose error mentions "csr" but is not ERR_INVALID_CSR: CSRs are not supported → retried once without.
 * A server that rejects our CSR as invalid (ERR_INVALID_CSR) is an error, not a reason to hand over the key.
 * @throws {TalosOidcError} ERR_EXCHANGE with the server's `error` text, `fields.status` and `fields.serverCode` (the
 * stable `code` of its error body, e.g. ERR_INVALID_TOKEN, or of the original tool's status: branch on that).
 */
export async function exchangeForCertificate(
  o: ExchangeClientOptions,
  idToken: string,
  clientKey: ClientKey | undefined,
  signal: AbortSignal,
): Promise<ExchangeResult> {
  const pinned = o.serverCaPem ? pinnedFetch(o.serverCaPem) : undefined;
  const post = (body: ExchangeRequest) => postExchange(o, body, pinned, signal);
  let res = await post(clientKey ? { id_token: idToken, csr: clientKey.csrPem } : { id_token: idToken });
  if (clientKey && res.status === 400 && mentionsCsrUnsupported(res.body)) {
    o.logger.info("The exchange server does not accept CSRs; it will generate the key instead.");
    clientKey = undefined;
    res = await post({ id_token: idToken });
  }
  if (res.status !== 200) throw httpError(o.server, res);
  const r = parseResponse(res.body);
  if (clientKey && r.key === undefined) {
    if (!certMatchesKey(r.cert, clientKey.spki)) {
      throw new TalosOidcError("ERR_EXCHANGE", "the exchange server returned a certificate for another key");
    }
    return { ...r, key: clientKey.keyPem, keySource: "client" };
  }
  if (r.key === undefined) throw new TalosOidcError("ERR_EXCHANGE", "the exchange server returned no key");
  if (clientKey) {
    o.logger.info(
      "The exchange server ignored the CSR and returned a key it had made (it issues through the Talos API, " +
        "which makes the key, or it is an older server); that key is used.",
    );
  }
  return { ...r, key: r.key, keySource: "server" };
}

interface RawResponse {
  status: number;
  body: unknown;
  retryAfter: string | null;
  /** The server's X-Request-Id: the key to its log and audit lines for this request. */
  requestId: string | null;
}

/**
 * Check before signing in that the exchange server answers, over TLS it trusts (--server-ca or the system's roots):
 * GET /healthz, which every version of the server answers with 200. Any HTTP answer counts as reachable.
 * @throws {TalosOidcError} ERR_EXCHANGE as a failed exchange would (unreachable, TLS not trusted).
 */
export async function probeServer(
  o: Omit<ExchangeClientOptions, "timeoutMs">,
  signal: AbortSignal,
  timeoutMs = 10_000,
): Promise<void> {
  const pinned = o.serverCaPem ? pinnedFetch(o.serverCaPem) : undefined;
  const url = new URL("healthz", o.server.href.endsWith("/") ? o.server : `${o.server.href}/`);
  const { res } = await reach({ ...o, timeoutMs }, url, { method: "GET" }, pinned, signal);
  o.logger.debug(`GET ${url.href}: HTTP ${res.status}`);
}

async function postExchange(
  o: ExchangeClientOptions,
  body: ExchangeRequest,
  pinned: PinnedFetch | undefined,
  signal: AbortSignal,
): Promise<RawResponse> {
  const url = new URL("exchange", o.server.href.endsWith("/") ? o.server : `${o.server.href}/`);
  const { res, text } = await reach(
    o,
    url,
    {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    },
    pinned,
    signal,
  );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text.slice(0, 200);
  }
  o.logger.debug(`POST ${url.href}: HTTP ${res.status} (request id ${res.headers.get("x-request-id") ?? "none"})`);
  return {
    status: res.status,
    body: json,
    retryAfter: res.headers.get("retry-after"),
    requestId: res.headers.get("x-request-id"),
  };
}

/** One request to the server and its answer (capped): --server-ca trusts exactly that CA, else the system's roots. */
async function reach(
  o: ExchangeClientOptions,
  url: URL,
  request: { method: string; headers?: Record<string, string>; body?: string },
  pinned: PinnedFetch | undefined,
  signal: AbortSignal,
): Promise<{ res: Response; text: string }> {
  const init = { ...request, signal: AbortSignal.any([signal, AbortSignal.timeout(o.timeoutMs ?? 30_000)]) };
  try {
    // Neither follows a redirect.
    const res = pinned && url.protocol === "https:"
      ? await pinned(url, init)
      : await fetch(url, { ...init, redirect: "error" });
    const text = new TextDecoder().decode(
      await readCapped(res.body, MAX_ANSWER_BYTES, res.headers.get("content-length")),
    );
    return { res, text };
  } catch (err) {
    if (signal.aborted) throw err;
    if (err instanceof BodyTooLarge) {
      throw new TalosOidcError("ERR_EXCHANGE", `the exchange server "${o.server.origin}" answered with too much data`, {
        cause: err,
        hint: "check that --server names a talosctl-oidc exchange server (an answer is a few KiB)",
      });
    }
    const tls = /certificate|tls|ssl|handshake|UnknownIssuer|altnames|self.signed|verify/i.test(causeChain(err));
    throw new TalosOidcError("ERR_EXCHANGE", `connecting to the exchange server "${o.server.origin}" failed`, {
      cause: err,
      hint: tls
        ? "the server's TLS certificate is not trusted: pass its CA with --server-ca (--insecure does not skip TLS checks)"
        : "check --server and that the server is running",
    });
  }
}

function mentionsCsrUnsupported(body: unknown): boolean {
  const b = body as Partial<ErrorBody> | undefined;
  return typeof b?.error === "string" && /\bcsr\b/i.test(b.error) && b.code !== "ERR_INVALID_CSR";
}

/**
 * The original tool's server sends `{"error": "..."}` without a `code`; its refusals are told apart by status alone
 * (401 is only ever "invalid token", 403 "no roles assigned", 429 the rate limit). Translated here, once, so callers
 * branch on the code and never on the status.
 */
const CODE_OF_ORIGINAL_TOOL_STATUS: Readonly<Record<number, string>> = {
  401: "ERR_INVALID_TOKEN",
  403: "ERR_NO_ROLES",
  429: "ERR_RATE_LIMITED",
};

function httpError(server: URL, { status, body, retryAfter, requestId: header }: RawResponse): TalosOidcError {
  const b = body as Partial<ErrorBody> | string | undefined;
  const said = typeof b === "string" ? b : typeof b?.error === "string" ? b.error : "";
  // The header is on every answer of our server; the body's field only on its 5xx (and on other servers' maybe).
  const requestId = header ?? (typeof b === "object" && typeof b?.request_id === "string" ? b.request_id : undefined);
  const sent = typeof b === "object" && typeof b?.code === "string" ? b.code : undefined;
  const serverCode = sent ?? CODE_OF_ORIGINAL_TOOL_STATUS[status];
  const claims = typeof b === "object" && Array.isArray(b?.claims)
    ? b.claims.filter((c): c is string => typeof c === "string")
    : undefined;
  const hints: Record<string, string> = {
    ERR_INVALID_TOKEN: "the server did not accept your ID token: check that it trusts this --provider and --client-id",
    ERR_NO_ROLES: `ask the administrator of ${server.origin} to grant your user or groups a Talos role`,
    ERR_FORBIDDEN: `${server.origin} does not take requests from this address: ask its administrator (ip_allowlist)`,
    ERR_RATE_LIMITED: `too many requests: try again${retryAfter ? ` in ${retryAfter} seconds` : " later"}`,
  };
  return new TalosOidcError(
    "ERR_EXCHANGE",
    `the exchange server refused the request (HTTP ${status}): ${said || "no reason given"}` +
      (requestId ? ` (request id ${requestId})` : ""),
    {
      hint: serverCode ? hints[serverCode] : undefined,
      fields: {
        status,
        ...(serverCode ? { serverCode } : {}),
        ...(requestId ? { requestId } : {}),
        ...(claims ? { claims } : {}),
      },
    },
  );
}

function parseResponse(body: unknown): Omit<ExchangeResult, "keySource" | "key"> & { key?: string } {
  const b = body as Partial<ExchangeResponse> | undefined;
  const pem = (v: unknown) => typeof v === "string" && v.includes("-----BEGIN ");
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  if (!b || typeof b !== "object" || !pem(b.ca) || !pem(b.cert) || !strings(b.endpoints) || !b.endpoints?.length) {
    throw new TalosOidcError("ERR_EXCHANGE", "the exchange server's answer is not a certificate response", {
      hint: "check that --server points at a talosctl-oidc server",
    });
  }
  return {
    ca: b.ca!,
    cert: b.cert!,
    ...(pem(b.key) ? { key: b.key } : {}),
    endpoints: b.endpoints!,
    ...(strings(b.nodes) && b.nodes!.length ? { nodes: b.nodes } : {}),
    ttlSeconds: typeof b.ttl_seconds === "number" ? b.ttl_seconds : 0,
  };
}

function causeChain(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, i = 0; e !== undefined && i < 5; e = (e as Error).cause, i++) parts.push(String(e));
  return parts.join(" <- ");
}
