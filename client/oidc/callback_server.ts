/**
 * @module Loopback redirect receiver (RFC 8252 §7.3): checks `state` before answering, ignores stray
 * requests, holds the browser's request until the login is finished, then shuts down and awaits it.
 */

import { TalosOidcError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import { CALLBACK_HEADERS, type PageOutcome, renderCallbackPage } from "./callback_page.ts";
import type { CallbackTls } from "./callback_tls.ts";
import { timingSafeEqual } from "./pkce.ts";

/** What the IdP sent back to the redirect URI (RFC 6749 §4.1.2, §4.1.2.1). */
export type CallbackParams = { code: string } | { error: string; error_description?: string };

export interface CallbackServerOptions {
  /** host:port pairs to bind ("127.0.0.1:8900", "[::1]:0"); port 0 picks a free port. */
  listenAddresses: string[];
  /** Exact redirect URI (--oidc-redirect-url); its path is routed too. Default http://<first address>/callback. */
  redirectUrl?: string;
  /** The state sent in the authorization request. Single use. */
  state: string;
  /** When set, an `iss` parameter in the callback must equal it (RFC 9207 mix-up defence). */
  issuer?: string;
  /** Serve the callback over TLS with this key pair; the default redirect URI is then https://. */
  tls?: CallbackTls;
  logger: Logger;
}

export interface CallbackServer {
  redirectUri: string;
  /** The first callback whose state matches. Rejects with `signal.reason` when `signal` aborts. */
  wait(signal: AbortSignal): Promise<CallbackParams>;
  /** Answer the waiting browser with `outcome`, stop listening and wait until every listener is closed. */
  close(outcome?: PageOutcome): Promise<void>;
}

/** Parse "host:port" / "[v6]:port"; throws ERR_USAGE for anything else. */
export function parseListenAddress(addr: string): { hostname: string; port: number } {
  const m = addr.match(/^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new TalosOidcError("ERR_USAGE", `invalid listen address "${addr}"`, {
      hint: "use host:port, for example 127.0.0.1:8900 or [::1]:8900",
    });
  }
  return { hostname: m[1] ?? m[2]!, port };
}

/**
 * Bind every address before the browser opens (a failure closes those already bound).
 * @throws {TalosOidcError} ERR_USAGE for a bad address or redirect URL, ERR_IO when a port is taken.
 */
export function startCallbackServer(options: CallbackServerOptions): CallbackServer {
  if (options.listenAddresses.length === 0) {
    throw new TalosOidcError("ERR_USAGE", "no callback listen address configured", {
      hint: "pass --callback-port or --listen-address",
    });
  }
  const custom = options.redirectUrl ? parseRedirectUrl(options.redirectUrl) : undefined;
  const path = custom?.pathname ?? "/callback";
  let used = false;
  let resolveParams!: (p: CallbackParams) => void;
  const params = new Promise<CallbackParams>((r) => (resolveParams = r));
  let resolveOutcome!: (o: PageOutcome) => void;
  const outcome = new Promise<PageOutcome>((r) => (resolveOutcome = r));

  const page = (status: number, o: PageOutcome) =>
    new Response(renderCallbackPage(o), { status, headers: CALLBACK_HEADERS });

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (url.pathname !== path || req.method !== "GET") {
      return new Response("Not Found\n", { status: 404, headers: { "cache-control": "no-store" } });
    }
    const state = url.searchParams.get("state");
    if (state === null || !timingSafeEqual(state, options.state)) {
      options.logger.warn("ignored a callback request whose state does not match this login");
      return page(400, { ok: false, message: "This sign-in response does not belong to the login in progress." });
    }
    if (used) return page(409, { ok: false, message: "This sign-in response was already used." });
    used = true; // state is single-use (RFC 6749 §10.12)
    const iss = url.searchParams.get("iss");
    const error = url.searchParams.get("error");
    const code = url.searchParams.get("code");
    if (iss !== null && options.issuer !== undefined && iss !== options.issuer) {
      resolveParams({ error: "invalid_request", error_description: `callback from issuer "${iss}", not ours` });
    } else if (error !== null) {
      const description = url.searchParams.get("error_description");
      resolveParams(description ? { error, error_description: description } : { error });
    } else if (!code) {
      resolveParams({ error: "invalid_request", error_description: "no authorization code in the callback" });
    } else {
      resolveParams({ code });
    }
    const o = await outcome;
    return page(o.ok ? 200 : 400, o);
  };

  const tls = options.tls ? { cert: options.tls.cert, key: options.tls.key } : {};
  const servers: Deno.HttpServer<Deno.NetAddr>[] = [];
  try {
    for (const addr of options.listenAddresses) {
      const { hostname, port } = parseListenAddress(addr);
      servers.push(Deno.serve({ hostname, port, ...tls, onListen: () => {} }, handler));
    }
  } catch (err) {
    for (const s of servers) void s.shutdown();
    throw listenFailed(err, Boolean(options.tls));
  }
  const scheme = options.tls ? "https" : "http";
  const first = servers[0]!.addr;
  const host = first.hostname.includes(":") ? `[${first.hostname}]` : first.hostname;
  const redirectUri = options.redirectUrl ?? `${scheme}://${host}:${first.port}${path}`;
  if (custom && custom.protocol !== `${scheme}:` && /^(localhost|127(\.\d+){3}|\[::1\])$/.test(custom.hostname)) {
    options.logger.warn(
      `the redirect URL "${custom.href}" is ${custom.protocol}// but the callback serves ${scheme}://`,
    );
  }

  let closed: Promise<void> | undefined;
  return {
    redirectUri,
    wait(signal) {
      return new Promise<CallbackParams>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        params.then((p) => {
          signal.removeEventListener("abort", onAbort);
          resolve(p);
        });
      });
    },
    close(o = { ok: false, message: "The login was stopped in the terminal." }) {
      resolveOutcome(o);
      closed ??= Promise.all(servers.map((s) => s.shutdown())).then(() => {});
      return closed;
    },
  };
}

/** A port that is taken is ERR_IO; anything else while serving TLS is the key pair's fault (rustls refused it). */
function listenFailed(err: unknown, tls: boolean): TalosOidcError {
  if (err instanceof TalosOidcError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const network = err instanceof Deno.errors.AddrInUse || err instanceof Deno.errors.AddrNotAvailable ||
    err instanceof Deno.errors.PermissionDenied;
  if (tls && !network) {
    return new TalosOidcError("ERR_CONFIG", `serving the login callback over TLS failed: ${msg}`, {
      cause: err,
      hint: "check --local-server-cert and --local-server-key (PEM certificate and its unencrypted key)",
    });
  }
  return new TalosOidcError("ERR_IO", `listening for the login callback failed: ${msg}`, {
    cause: err,
    hint: "another login may be running, or the port is taken: try --callback-port 0 or another port",
  });
}

function parseRedirectUrl(raw: string): URL {
  let u: URL | undefined;
  try {
    u = new URL(raw);
  } catch { /* reported below */ }
  if (!u || !/^https?:$/.test(u.protocol) || !u.host) {
    throw new TalosOidcError("ERR_USAGE", `redirect URL "${raw}" must be absolute`, {
      hint: "for example http://127.0.0.1:8900/callback",
    });
  }
  return u;
}
