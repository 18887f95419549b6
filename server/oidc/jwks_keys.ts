/** @module A loaded JWKS: each key imported once (RFC 7517), and the key selection rules for a token header. */

import { createPublicKey, type KeyObject } from "node:crypto";
import type { AlgSpec } from "./algorithms.ts";
import { decodeSegment } from "./compact.ts";
import { type RsaPublicKey, rsaPublicKey } from "./rsa_pkcs1.ts";

/** One JWKS member with the metadata selection looks at and its key imported for verification. */
export interface JwkEntry {
  kid: unknown;
  kty: unknown;
  crv: unknown;
  alg: unknown;
  use: unknown;
  keyOps: unknown;
  ext: unknown;
  rsa?: RsaPublicKey;
  keyObject?: KeyObject;
  cryptoKey?: CryptoKey;
  /** Why this key cannot verify anything (private material, weak modulus, bad encoding). */
  unusable?: string;
}

export type KeySelection =
  | { kind: "found"; entry: JwkEntry }
  | { kind: "unknown_kid" } // no member carries this kid (or none fits a kid-less header)
  | { kind: "mismatch" } // the kid exists, but its kty/crv/alg/use does not fit the header alg
  | { kind: "ambiguous" }; // several members fit: refuse rather than guess (as jose does)

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"];
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 16384;
/** Real IdPs publish a handful; the cap bounds import work on each refresh. */
const MAX_KEYS = 100;

/** Import every member of a JWKS document. Members that cannot be used stay listed, marked `unusable`. */
export async function importJwks(doc: unknown): Promise<JwkEntry[]> {
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (typeof doc !== "object" || doc === null || !Array.isArray(keys)) {
    throw new TypeError('the JWKS is not a JSON object with a "keys" array');
  }
  if (keys.length > MAX_KEYS) throw new TypeError(`the JWKS has ${keys.length} keys (at most ${MAX_KEYS} are read)`);
  const out: JwkEntry[] = [];
  for (const jwk of keys) {
    if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) {
      throw new TypeError("a JWKS member is not an object");
    }
    out.push(await importJwk(jwk as Record<string, unknown>));
  }
  return out;
}

async function importJwk(jwk: Record<string, unknown>): Promise<JwkEntry> {
  const { kid, kty, crv, alg, use, key_ops: keyOps, ext } = jwk;
  const entry: JwkEntry = { kid, kty, crv, alg, use, keyOps, ext };
  if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(jwk, m))) {
    return { ...entry, unusable: "it carries private key material" };
  }
  try {
    if (kty === "RSA") {
      const rsa = rsaPublicKey(decodeSegment(String(jwk.n), "n"), decodeSegment(String(jwk.e), "e"));
      if (rsa.bits < MIN_RSA_BITS || rsa.bits > MAX_RSA_BITS) {
        return { ...entry, unusable: `its RSA modulus has ${rsa.bits} bits (${MIN_RSA_BITS}–${MAX_RSA_BITS} allowed)` };
      }
      if (rsa.e < 3n || rsa.e >= 1n << 33n || rsa.e % 2n === 0n || rsa.n % 2n === 0n) {
        return { ...entry, unusable: "its RSA exponent or modulus is not sound" };
      }
      return { ...entry, rsa };
    }
    if (kty === "EC") {
      const cryptoKey = await crypto.subtle.importKey(
        "jwk",
        { kty, crv: String(crv), x: String(jwk.x), y: String(jwk.y) },
        { name: "ECDSA", namedCurve: String(crv) },
        false,
        ["verify"],
      );
      return { ...entry, cryptoKey };
    }
    if (kty === "OKP" && crv === "Ed25519") {
      return { ...entry, keyObject: createPublicKey({ key: { kty, crv, x: String(jwk.x) }, format: "jwk" }) };
    }
    return { ...entry, unusable: "its key type is not supported" };
  } catch {
    return { ...entry, unusable: "its key material does not decode" };
  }
}

/**
 * Pick the one key for a header, with jose's rules (createLocalJWKSet): kty and crv fit the alg, kid equal
 * when the header has one, JWK alg equal when present, use "sig" and key_ops with "verify" when present.
 */
export function selectKey(entries: readonly JwkEntry[], spec: AlgSpec, kid: string | undefined): KeySelection {
  let found: JwkEntry | undefined;
  let count = 0;
  let kidSeen = false;
  for (const e of entries) {
    if (kid !== undefined && e.kid !== kid) continue;
    kidSeen = true;
    if (!fits(e, spec)) continue;
    found = e;
    count++;
  }
  if (count === 1) return { kind: "found", entry: found! };
  if (count > 1) return { kind: "ambiguous" };
  return kid !== undefined && kidSeen ? { kind: "mismatch" } : { kind: "unknown_kid" };
}

function fits(e: JwkEntry, spec: AlgSpec): boolean {
  const ops = e.keyOps;
  const opsOk = ops === undefined ||
    (Array.isArray(ops) && ops.every((o, i) => typeof o === "string" && ops.indexOf(o) === i) &&
      ops.includes("verify"));
  return opsOk && (e.ext === undefined || typeof e.ext === "boolean") && e.kty === spec.kty &&
    (e.alg === undefined || e.alg === spec.alg) && (e.use === undefined || e.use === "sig") &&
    (spec.crv === undefined || e.crv === spec.crv);
}
