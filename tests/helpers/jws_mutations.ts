/** @module Test-only random token generator: valid tokens, then header, claim, key and byte-level corruptions. */

import { Buffer } from "node:buffer";
import type { KeyObject } from "node:crypto";
import { b64u, forgeJws } from "./jws_forge.ts";

export interface Signer {
  alg: string;
  kid?: string;
  key: KeyObject;
}

export interface Fixture {
  issuer: string;
  clientId: string;
  /** Keys the issuer publishes, with the algs they can sign. */
  signers: Signer[];
  /** Keys the issuer does not publish (forgeries). */
  strangers: Signer[];
  /** Public keys usable as HMAC secrets in alg-confusion forgeries (PEM and JWK bytes). */
  confusionSecrets: Uint8Array[];
}

export interface Case {
  label: string[];
  token: string;
}

/** One random case around `nowSec` with leeway `tol`. */
export function randomCase(rand: () => number, fx: Fixture, nowSec: number, tol: number): Case {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const label: string[] = [];
  const legit = pick(fx.signers);
  let signer = legit;
  if (rand() < 0.1) {
    signer = { ...pick(fx.strangers), kid: legit.kid };
    label.push("stranger-key");
  }
  const header: Record<string, unknown> = { alg: signer.alg, typ: "JWT" };
  if (signer.kid !== undefined) header.kid = signer.kid;
  let signAs = signer.alg;
  let key: KeyObject | Uint8Array = signer.key;
  if (rand() < 0.35) {
    const m = pick(HEADER_MUTATIONS);
    label.push(`header:${m}`);
    if (m === "alg-swap") header.alg = pick(fx.signers).alg; // signature still made with the original alg
    else if (m === "alg-none") (header.alg = "none"), (signAs = "none");
    else if (m === "hs256-confusion") (header.alg = signAs = "HS256"), (key = pick(fx.confusionSecrets));
    else if (m === "no-kid") delete header.kid;
    else if (m === "other-kid") header.kid = pick(fx.signers.map((s) => s.kid).concat(["nope", ""]));
    else if (m === "numeric-kid") header.kid = 7;
    else if (m === "typ-at+jwt") header.typ = pick(["at+jwt", "application/at+JWT", " application/at+jwt "]);
    else if (m === "typ-id") header.typ = pick(["jwt ", "application/JWT", "JOSE", "Bearer", "", 5]);
    else if (m === "no-typ") delete header.typ;
    else if (m === "crit") Object.assign(header, pick([{ crit: ["exp"] }, { crit: ["b64"], b64: true }, { crit: [] }]));
    else if (m === "no-alg") delete header.alg;
    else if (m === "odd-alg") header.alg = pick(["", "RS1", "ES256K", "Ed25519", 5, null]);
    else if (m === "embedded-jwk") header.jwk = { kty: "oct", k: "AAAA" };
  }
  const claims: Record<string, unknown> = {
    iss: fx.issuer,
    aud: fx.clientId,
    sub: "alice",
    iat: nowSec - Math.floor(rand() * 30),
    exp: nowSec + 1 + Math.floor(rand() * 600),
    email: "alice@example.com",
    groups: ["talos-admins"],
  };
  const claimRounds = rand() < 0.55 ? (rand() < 0.3 ? 2 : 1) : 0;
  for (let i = 0; i < claimRounds; i++) {
    const m = pick(CLAIM_MUTATIONS);
    label.push(`claims:${m}`);
    mutateClaims(claims, m, pick, fx, nowSec, tol);
  }
  let token = forgeJws(header, claims, key, signAs);
  if (rand() < 0.4) {
    const m = pick(BYTE_MUTATIONS);
    label.push(`bytes:${m}`);
    token = corrupt(token, m, rand);
  }
  return { label, token };
}

const HEADER_MUTATIONS = [
  "alg-swap",
  "alg-none",
  "hs256-confusion",
  "no-kid",
  "other-kid",
  "numeric-kid",
  "typ-at+jwt",
  "typ-id",
  "no-typ",
  "crit",
  "no-alg",
  "odd-alg",
  "embedded-jwk",
] as const;
const CLAIM_MUTATIONS = [
  "drop",
  "iss",
  "aud",
  "azp",
  "exp",
  "nbf",
  "iat",
  "sub",
  "extra",
  "access-token",
  "lifetime",
] as const;
const BYTE_MUTATIONS = ["bitflip", "non-canonical", "pad", "space", "drop-char", "extra-segment", "truncate-sig"];

function mutateClaims(
  c: Record<string, unknown>,
  m: (typeof CLAIM_MUTATIONS)[number],
  pick: <T>(xs: readonly T[]) => T,
  fx: Fixture,
  now: number,
  tol: number,
): void {
  const edge = [now - tol - 1, now - tol, now - tol + 1, now, now + tol, now + tol + 1];
  if (m === "drop") delete c[pick(["iss", "aud", "sub", "exp", "iat"])];
  else if (m === "iss") c.iss = pick([`${fx.issuer}/`, "https://evil.example", fx.issuer.toUpperCase(), 1, null]);
  else if (m === "aud") {
    c.aud = pick([
      "other",
      [fx.clientId],
      [fx.clientId, "other"],
      ["other", fx.clientId],
      ["other"],
      [],
      [fx.clientId, 5],
      5,
      null,
    ]);
  } else if (m === "azp") c.azp = pick([fx.clientId, "other", null, ""]);
  else if (m === "exp") c.exp = pick([...edge, "9999999999", null, 1e300, now + 0.5, -1]);
  else if (m === "nbf") c.nbf = pick([...edge, "0", null, now + tol + 0.5]);
  else if (m === "iat") c.iat = pick([...edge, "0", null, now + tol + 0.5]);
  else if (m === "sub") c.sub = pick(["", 5, null, "bob", ["alice"]]);
  else if (m === "extra") Object.assign(c, pick([{ nested: { a: [1, { b: "ü€😀" }] } }, { nonce: "n", at_hash: "x" }]));
  else if (m === "access-token") {
    Object.assign(
      c,
      pick([{ scope: "openid" }, { scp: [] }, { client_id: fx.clientId }, { typ: "Bearer" }, { typ: "ID" }]),
    );
  } else if (m === "lifetime") {
    const iat = now - pick([0, 86400 * 3650, 86399, 86401]);
    Object.assign(c, { iat, exp: pick([iat + 86400, iat + 86401, 1e12, now + 60]) });
  }
}

function corrupt(token: string, m: string, rand: () => number): string {
  const parts = token.split(".");
  const seg = Math.floor(rand() * parts.length);
  const s = parts[seg] ?? "";
  const at = Math.floor(rand() * Math.max(s.length, 1));
  if (m === "bitflip" && s.length > 0) {
    parts[seg] = s.slice(0, at) + String.fromCharCode(s.charCodeAt(at) ^ (1 << Math.floor(rand() * 7))) +
      s.slice(at + 1);
  } else if (m === "non-canonical" && s.length % 4 >= 2) {
    // Same decoded bytes, different trailing bits: the malleable spelling of the last character.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const v = alphabet.indexOf(s[s.length - 1]!) | (s.length % 4 === 2 ? 1 : 2);
    parts[seg] = s.slice(0, -1) + alphabet[v];
  } else if (m === "pad") parts[seg] = s + "=".repeat(1 + Math.floor(rand() * 2));
  else if (m === "space") parts[seg] = s.slice(0, at) + " " + s.slice(at);
  else if (m === "drop-char") parts[seg] = s.slice(0, at) + s.slice(at + 1);
  else if (m === "extra-segment") parts.push(b64u("x"));
  else if (m === "truncate-sig") parts[2] = (parts[2] ?? "").slice(0, Math.floor((parts[2]?.length ?? 0) / 2));
  return parts.join(".");
}

/** Decoded header and payload of a token for a failure report (test tokens only, never real ones). */
export function describeToken(token: string): string {
  return token.split(".").slice(0, 2).map((p) => Buffer.from(p, "base64url").toString("utf8")).join(" . ");
}
