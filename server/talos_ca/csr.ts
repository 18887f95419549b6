/** @module Check a PKCS#10 CSR (RFC 2986): verify its self-signature and return its public key, nothing else. */

import { Buffer } from "node:buffer";
import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { TalosOidcError } from "../../shared/errors.ts";
import { checkEcdsaSignature, type CsrParts, parseCsr } from "./csr_der.ts";
import { pemBlocks } from "./pem.ts";

/** Largest CSR PEM we read (a 8192-bit RSA CSR is ~3 KiB). */
export const MAX_CSR_PEM_LENGTH = 16 * 1024;
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

type Family = "ed25519" | "ec" | "rsa";
/**
 * Signature algorithms we verify; SHA-1, MD5 and RSA-PSS are refused. Parameters: absent for ECDSA (RFC 5758 §3.2)
 * and Ed25519 (RFC 8410 §3); NULL or absent for RSA (RFC 4055 §5: "MUST accept the parameters being absent").
 */
const ALGORITHMS: Record<string, { family: Family; digest: string | null }> = {
  "1.3.101.112": { family: "ed25519", digest: null },
  "1.2.840.10045.4.3.2": { family: "ec", digest: "sha256" },
  "1.2.840.10045.4.3.3": { family: "ec", digest: "sha384" },
  "1.2.840.10045.4.3.4": { family: "ec", digest: "sha512" },
  "1.2.840.113549.1.1.11": { family: "rsa", digest: "sha256" },
  "1.2.840.113549.1.1.12": { family: "rsa", digest: "sha384" },
  "1.2.840.113549.1.1.13": { family: "rsa", digest: "sha512" },
};
const DER_NULL = "0500";
const CURVES = new Set(["prime256v1", "secp384r1", "secp521r1"]);
const HINT = "send a PEM PKCS#10 request signed by its own Ed25519, ECDSA (P-256/384/521) or RSA ≥ 2048 key";

function invalid(message: string, cause?: unknown): TalosOidcError {
  return new TalosOidcError("ERR_INVALID_CSR", `checking the CSR: ${message}`, { hint: HINT, cause });
}

/**
 * The SubjectPublicKeyInfo DER of a valid CSR, re-encoded by node:crypto (canonical form).
 * The CSR's subject, attributes and extensions are ignored: the issuer decides them.
 */
export function csrPublicKey(csrPem: string): Uint8Array {
  if (csrPem.length > MAX_CSR_PEM_LENGTH) throw invalid(`it is longer than ${MAX_CSR_PEM_LENGTH} characters`);
  let der: Uint8Array | undefined;
  try {
    der = pemBlocks(csrPem).find((b) => b.label === "CERTIFICATE REQUEST" || b.label === "NEW CERTIFICATE REQUEST")
      ?.der;
  } catch (err) {
    throw invalid("its PEM is damaged", err);
  }
  if (!der) throw invalid('it holds no "CERTIFICATE REQUEST" PEM block');
  const { info, algorithm, parameters, signature, spki } = parse(der);
  const alg = ALGORITHMS[algorithm];
  if (!alg) throw invalid(`unsupported signature algorithm "${algorithm}"`);
  if (parameters !== undefined && (alg.family !== "rsa" || Buffer.from(parameters).toString("hex") !== DER_NULL)) {
    throw invalid(`signature algorithm "${algorithm}" has parameters it does not take`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki.raw), format: "der", type: "spki" });
  } catch (err) {
    throw invalid("its public key cannot be read", err);
  }
  checkKey(key, alg.family);
  if (alg.family === "ec") {
    try {
      checkEcdsaSignature(signature);
    } catch (err) {
      throw invalid("its ECDSA signature is not a DER Ecdsa-Sig-Value", err);
    }
  }
  let ok = false;
  try {
    ok = verify(alg.digest, info, key, signature);
  } catch (err) {
    throw invalid("its signature cannot be checked", err);
  }
  if (!ok) throw invalid("its signature does not verify");
  return new Uint8Array(key.export({ type: "spki", format: "der" }));
}

function checkKey(key: KeyObject, family: Family): void {
  const type = key.asymmetricKeyType;
  const d = key.asymmetricKeyDetails ?? {};
  if (type !== family) throw invalid(`unsupported key type "${type}" for a ${family} signature`);
  if (type === "ec" && !CURVES.has(d.namedCurve ?? "")) throw invalid(`unsupported curve "${d.namedCurve}"`);
  if (type === "rsa") {
    const bits = d.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw invalid(`its RSA key has ${bits} bits, fewer than ${MIN_RSA_BITS}`);
    if (bits > MAX_RSA_BITS) throw invalid(`its RSA key has ${bits} bits, more than ${MAX_RSA_BITS}`);
  }
}

function parse(der: Uint8Array): CsrParts {
  try {
    return parseCsr(der);
  } catch (err) {
    throw invalid("it is not a valid PKCS#10 DER structure", err);
  }
}
