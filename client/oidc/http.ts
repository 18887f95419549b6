/** @module Small HTTP helpers for talking to the IdP: timeouts, a body cap, JSON parsing. */

import { readCapped } from "../../shared/read_capped.ts";

/** The fetch signature the OIDC modules take, so tests and custom CAs can swap it. */
export type Fetch = typeof fetch;

/** Largest IdP response we read (discovery, JWKS, token responses are a few KiB). */
const MAX_IDP_BODY = 1024 * 1024;

export interface HttpOptions {
  fetch?: Fetch;
  signal?: AbortSignal;
  /** Per-request timeout in ms (default 15 s, as the original tool). */
  timeoutMs?: number;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
  /** The raw body text (capped), for error messages. */
  text: string;
}

/** Combine the caller's signal with a timeout. */
function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const t = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, t]) : t;
}

/**
 * Fetch `url` and read its body, parsing it as JSON when it is JSON. Network errors propagate, and so does
 * BodyTooLarge (shared/read_capped.ts) for a body over MAX_IDP_BODY.
 */
export async function requestJson(
  url: string | URL,
  init: RequestInit,
  options: HttpOptions = {},
): Promise<JsonResponse> {
  const doFetch = options.fetch ?? fetch;
  const res = await doFetch(url, {
    ...init,
    redirect: "error",
    signal: withTimeout(options.signal, options.timeoutMs ?? 15_000),
    headers: { accept: "application/json", ...(init.headers as Record<string, string> | undefined) },
  });
  const text = new TextDecoder().decode(await readCapped(res.body, MAX_IDP_BODY, res.headers.get("content-length")));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** POST an application/x-www-form-urlencoded body (RFC 6749 §4.1.3, §6; RFC 8628 §3.1, §3.4). */
export function postForm(url: string, form: Record<string, string | undefined>, options: HttpOptions = {}) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined && v !== "") body.set(k, v);
  return requestJson(url, {
    method: "POST",
    body: body.toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  }, options);
}

/** A short, printable excerpt of a response body for error messages (no tokens: redacted by the logger too). */
export function excerpt(text: string, max = 200): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
