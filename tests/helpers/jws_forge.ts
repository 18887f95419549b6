/** @module Test-only token forging: sign arbitrary JWS bytes with node:crypto, and serve a chosen JWKS as an issuer. */

import { Buffer } from "node:buffer";
import { constants, createHmac, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { modPow, toBigInt } from "../../server/oidc/rsa_pkcs1.ts";

/** base64url without padding of text, bytes, or JSON of an object. */
export function b64u(value: string | Uint8Array | object): string {
  if (typeof value === "string") return Buffer.from(value, "utf8").toString("base64url");
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64url");
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

const HASH: Record<string, string> = { "256": "sha256", "384": "sha384", "512": "sha512" };

/**
 * Signature segment for `signingInput` made the way `alg` prescribes (RFC 7518 §3), with `key`.
 * HS* take the key bytes as the HMAC secret (for alg-confusion forgeries); `none` and unknown algs give "".
 */
export function signSegment(signingInput: string, alg: string, key: KeyObject | Uint8Array): string {
  const data = Buffer.from(signingInput, "latin1");
  const hash = HASH[alg.slice(2)];
  if (alg.startsWith("HS") && hash) return createHmac(hash, key as Uint8Array).update(data).digest("base64url");
  if (key instanceof Uint8Array) return "";
  if (alg.startsWith("RS") && hash) return b64u(sign(hash, data, key));
  if (alg.startsWith("PS") && hash) {
    const saltLength = Number(alg.slice(2)) / 8;
    return b64u(sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }));
  }
  if (alg.startsWith("ES") && hash) return b64u(sign(hash, data, { key, dsaEncoding: "ieee-p1363" }));
  if (alg === "EdDSA") return b64u(sign(null, data, key));
  return "";
}

/** A compact JWS of `header` and `payload` (objects are JSON-encoded, strings used as already-encoded segments). */
export function forgeJws(
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string,
  key: KeyObject | Uint8Array,
  signAs?: string,
): string {
  const h = typeof header === "string" ? header : b64u(header);
  const p = typeof payload === "string" ? payload : b64u(payload);
  const alg = signAs ?? (typeof header === "string" ? "none" : String(header.alg));
  return `${h}.${p}.${signSegment(`${h}.${p}`, alg, key)}`;
}

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A fresh key pair for a JWS alg family. */
export function keyPair(kind: "rsa" | "rsa1024" | "rsa-e3" | "p256" | "p384" | "p521" | "ed25519"): KeyPair {
  switch (kind) {
    case "rsa":
      return generateKeyPairSync("rsa", { modulusLength: 2048 });
    case "rsa1024":
      return generateKeyPairSync("rsa", { modulusLength: 1024 });
    case "rsa-e3":
      return generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 });
    case "ed25519":
      return generateKeyPairSync("ed25519");
    default:
      return generateKeyPairSync("ec", { namedCurve: { p256: "P-256", p384: "P-384", p521: "P-521" }[kind] });
  }
}

/** The public JWK of a key pair with extra members (kid, alg, use, ...). */
export function publicJwk(pair: KeyPair, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...pair.publicKey.export({ format: "jwk" }), ...extra };
}

export interface StaticIssuer {
  issuer: string;
  /** Requests served per path. */
  hits: Map<string, number>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A plain HTTP server on 127.0.0.1 publishing a discovery document and exactly `jwks`: for JWKS shapes a real
 * IdP will not produce (weak keys, use "enc", duplicate kids, leaked private members).
 */
export function startStaticIssuer(jwks: { keys: unknown[] }, discoveredIssuer?: string): Promise<StaticIssuer> {
  const hits = new Map<string, number>();
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen({ port }) {
        const issuer = `http://127.0.0.1:${port}`;
        const close = () => server.shutdown();
        resolve({ issuer, hits, close, [Symbol.asyncDispose]: close });
      },
    }, (req) => {
      const { pathname, origin } = new URL(req.url);
      hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
      if (pathname === "/.well-known/openid-configuration") {
        return Response.json({ issuer: discoveredIssuer ?? origin, jwks_uri: `${origin}/jwks` });
      }
      if (pathname === "/jwks") return Response.json(jwks);
      return new Response("not found", { status: 404 });
    });
  });
}

/** Raw RSA signature of an arbitrary k-byte encoded message (m^d mod n via CRT), to craft near-valid blocks. */
export function rawRsaSign(privateKey: KeyObject, em: Uint8Array, k: number): Uint8Array {
  const jwk = privateKey.export({ format: "jwk" });
  const [p, q, dp, dq, qi] = [jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].map((v) => toBigInt(Buffer.from(v!, "base64url")));
  const m = toBigInt(em);
  const m1 = modPow(m % p!, dp!, p!);
  const m2 = modPow(m % q!, dq!, q!);
  const s = m2 + q! * ((((m1 - m2) % p! + p!) * qi!) % p!);
  return Buffer.from(s.toString(16).padStart(k * 2, "0"), "hex");
}
