/**
 * @module The soak's load: an open-loop generator (a fixed rate of /exchange requests whatever the answers do, at
 * most `maxInFlight` outstanding, each with its own deadline) that records every outcome by second, kind and status.
 */

import { X509Certificate } from "node:crypto";

/** Which token a request carries: the live key, a kid the IdP never published, a key the IdP removed. */
export type TokenKind = "main" | "unknown_kid" | "removed_kid";

/** One answered (or unanswered) request. `status` 0: no answer (connection refused or reset, or the deadline). */
export interface Outcome {
  at: number;
  kind: TokenKind;
  status: number;
  code?: string;
  retryAfter?: string | null;
  ms: number;
  /** The certificate's serial (lower-case hex) and NotBefore, on a 200. */
  serial?: string;
  notBefore?: number;
  error?: string;
}

export interface LoadOptions {
  url: () => string;
  client: () => Deno.HttpClient;
  rate: number;
  /** The token for the n-th request of a kind; the mix decides the kind. */
  token: (kind: TokenKind, n: number) => string;
  /** Share of each extra kind right now (the rest is main), e.g. { unknown_kid: 0.02 } during an IdP outage. */
  mix: () => Partial<Record<TokenKind, number>>;
  maxInFlight?: number;
  deadlineMs?: number;
  now: () => number;
}

export interface Load {
  outcomes: Outcome[];
  /** Requests the generator could not start because `maxInFlight` were outstanding. */
  skipped: { at: number }[];
  inFlight(): number;
  /** Stop sending; resolves when every request in flight has its outcome. */
  stop(): Promise<void>;
}

/** Start sending `rate` requests a second, in 10 ms ticks, until stop(). */
export function startLoad(o: LoadOptions): Load {
  const maxInFlight = o.maxInFlight ?? 512;
  const deadlineMs = o.deadlineMs ?? 10_000;
  const outcomes: Outcome[] = [], skipped: { at: number }[] = [];
  const counters: Record<TokenKind, number> = { main: 0, unknown_kid: 0, removed_kid: 0 };
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  let due = 0, n = 0;
  const pick = (): TokenKind => {
    const mix = o.mix();
    const r = (n++ % 1000) / 1000; // deterministic spread: every 1,000 requests hold each share exactly
    let acc = 0;
    for (const kind of ["unknown_kid", "removed_kid"] as const) {
      acc += mix[kind] ?? 0;
      if (r < acc) return kind;
    }
    return "main";
  };
  const send = async (kind: TokenKind) => {
    const at = o.now(), t0 = performance.now();
    const token = o.token(kind, counters[kind]++);
    try {
      const res = await fetch(`${o.url()}/exchange`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id_token: token }),
        client: o.client(),
        signal: AbortSignal.timeout(deadlineMs),
      });
      const json = await res.json();
      const ms = performance.now() - t0;
      const out: Outcome = { at, kind, status: res.status, ms };
      if (res.status === 200) {
        const cert = new X509Certificate(json.cert);
        out.serial = cert.serialNumber.toLowerCase();
        out.notBefore = new Date(cert.validFrom).getTime();
      } else {
        out.code = json.code;
        out.retryAfter = res.headers.get("retry-after");
      }
      outcomes.push(out);
    } catch (err) {
      const error = describe(err);
      outcomes.push({ at, kind, status: 0, ms: performance.now() - t0, error: error.slice(0, 200) });
    }
  };
  const timer = setInterval(() => {
    // Open loop: what the clock says is due, however late this tick runs (a busy loop does not lower the rate).
    const target = Math.floor(((performance.now() - started) / 1000) * o.rate);
    for (; due < target; due++) {
      if (pending.size >= maxInFlight) {
        skipped.push({ at: o.now() });
        continue;
      }
      const p: Promise<void> = send(pick()).finally(() => pending.delete(p));
      pending.add(p);
    }
  }, 10);
  return {
    outcomes,
    skipped,
    inFlight: () => pending.size,
    async stop() {
      clearInterval(timer);
      await Promise.all([...pending]);
    },
  };
}

/** "TypeError: fetch failed: <its cause>": the cause says why (refused, reset, a closed handshake, the deadline). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : err.cause ? `: ${String(err.cause)}` : "";
  return `${err.name}: ${err.message}${cause}`;
}

/** The q-quantile (0..1) of `xs` (sorted copy), or 0 for none. */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
