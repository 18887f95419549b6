/** @module The asymmetric JWS algorithms we verify (RFC 7518 §3, RFC 8037) and the key each one needs. */

import { TalosOidcError } from "../../shared/errors.ts";

export type AlgFamily = "RSA" | "RSA-PSS" | "EC" | "OKP";

/** What a JWS `alg` needs from its key and how its signature is checked. */
export interface AlgSpec {
  alg: string;
  family: AlgFamily;
  /** JWK `kty` the key must have. */
  kty: "RSA" | "EC" | "OKP";
  /** JWK `crv` the key must have (EC and OKP). */
  crv?: string;
  /** node:crypto digest name; undefined for EdDSA (pure). */
  hash?: "sha256" | "sha384" | "sha512";
  /** Exact signature length in bytes for ECDSA (raw r||s, RFC 7518 §3.4) and Ed25519. */
  sigBytes?: number;
}

const spec = (alg: string, family: AlgFamily, rest: Omit<AlgSpec, "alg" | "family" | "kty">): AlgSpec => ({
  alg,
  family,
  kty: family === "RSA-PSS" ? "RSA" : family,
  ...rest,
});

/** Every algorithm this verifier can check. HS* and `none` are deliberately absent (alg confusion, RFC 8725 §2.1). */
export const ALGORITHMS: ReadonlyMap<string, AlgSpec> = new Map([
  ["RS256", spec("RS256", "RSA", { hash: "sha256" })],
  ["RS384", spec("RS384", "RSA", { hash: "sha384" })],
  ["RS512", spec("RS512", "RSA", { hash: "sha512" })],
  ["PS256", spec("PS256", "RSA-PSS", { hash: "sha256" })],
  ["PS384", spec("PS384", "RSA-PSS", { hash: "sha384" })],
  ["PS512", spec("PS512", "RSA-PSS", { hash: "sha512" })],
  ["ES256", spec("ES256", "EC", { crv: "P-256", hash: "sha256", sigBytes: 64 })],
  ["ES384", spec("ES384", "EC", { crv: "P-384", hash: "sha384", sigBytes: 96 })],
  ["ES512", spec("ES512", "EC", { crv: "P-521", hash: "sha512", sigBytes: 132 })],
  ["EdDSA", spec("EdDSA", "OKP", { crv: "Ed25519", sigBytes: 64 })],
]);

/** The allowlist used when none is configured: every asymmetric algorithm above. */
export const DEFAULT_ALGORITHMS: readonly string[] = Object.freeze([...ALGORITHMS.keys()]);

/** Check a configured allowlist once, at construction: non-empty, asymmetric, known. */
export function parseAllowlist(algorithms: readonly string[] | undefined): ReadonlyMap<string, AlgSpec> {
  const list = algorithms ?? DEFAULT_ALGORITHMS;
  if (list.length === 0) {
    throw new TalosOidcError("ERR_CONFIG", "configuring token algorithms: the allowlist is empty", {
      hint: `use some of ${DEFAULT_ALGORITHMS.join(", ")}`,
    });
  }
  const out = new Map<string, AlgSpec>();
  for (const alg of list) {
    const found = ALGORITHMS.get(alg);
    if (!found) {
      const why = /^(none|HS\d+)$/i.test(String(alg))
        ? "symmetric and unsigned algorithms are refused (alg confusion)"
        : "it is not a supported asymmetric JWS algorithm";
      throw new TalosOidcError("ERR_CONFIG", `configuring token algorithms: "${alg}" is not allowed: ${why}`, {
        hint: `use some of ${DEFAULT_ALGORITHMS.join(", ")}`,
      });
    }
    out.set(alg, found);
  }
  return out;
}
