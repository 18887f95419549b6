/** @module Strict parsing of a compact JWS (RFC 7515 §7.1): size, three canonical base64url segments, JSON objects. */

import { Buffer } from "node:buffer";
import { invalidToken } from "./invalid.ts";

/** Largest token accepted, in characters; real ID tokens are 1–3 KiB. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** A compact JWS split and decoded; the signature is not checked yet. */
export interface ParsedJws {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** ASCII `header.payload`, the JWS Signing Input. */
  signingInput: string;
  signature: Uint8Array;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// Same decoder as jose: invalid UTF-8 is an error, never silently replaced.
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Split and decode `token`, throwing ERR_INVALID_TOKEN (reason "malformed") at the first problem. */
export function parseCompactJws(token: unknown): ParsedJws {
  if (typeof token !== "string") throw invalidToken("malformed", "the token is not a string");
  if (token.length > MAX_TOKEN_LENGTH) {
    throw invalidToken("malformed", `the token is longer than ${MAX_TOKEN_LENGTH} characters`);
  }
  const first = token.indexOf(".");
  const second = first < 0 ? -1 : token.indexOf(".", first + 1);
  if (second < 0 || token.indexOf(".", second + 1) >= 0) {
    throw invalidToken("malformed", "the token is not a compact JWS with three segments");
  }
  const header = decodeJsonObject(token.slice(0, first), "header");
  const claims = decodeJsonObject(token.slice(first + 1, second), "payload");
  const signature = decodeSegment(token.slice(second + 1), "signature");
  return { header, claims, signingInput: token.slice(0, second), signature };
}

/**
 * Decode one base64url segment without padding (RFC 7515 §2). Only the canonical spelling is accepted:
 * no padding, no whitespace, unused trailing bits zero, so a token has exactly one valid form.
 */
export function decodeSegment(segment: string, what: string): Uint8Array {
  const rest = segment.length % 4;
  const ok = BASE64URL.test(segment) && rest !== 1 && (rest === 0 || unusedBitsZero(segment, rest));
  if (!ok) throw invalidToken("malformed", `the token ${what} is not canonical base64url`);
  return Buffer.from(segment, "base64url");
}

function unusedBitsZero(segment: string, rest: number): boolean {
  const sixBits = ALPHABET.indexOf(segment[segment.length - 1]!);
  return (sixBits & (rest === 2 ? 0x0f : 0x03)) === 0;
}

function decodeJsonObject(segment: string, what: string): Record<string, unknown> {
  const bytes = decodeSegment(segment, what);
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    throw invalidToken("malformed", `the token ${what} is not UTF-8 JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidToken("malformed", `the token ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
