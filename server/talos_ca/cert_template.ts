/** @module Per-CA DER template of a Talos client certificate: everything constant is encoded once, at load. */

import { sign } from "node:crypto";
import { TAG } from "./der.ts";
import { type DerNode, encode, node, oid } from "./der_write.ts";
import type { LoadedCa } from "./load.ts";
import { timeNode } from "./name.ts";
import type { CaKeyType } from "./types.ts";

const algorithm = (dotted: string, ...parameters: DerNode[]) => encode(node(TAG.SEQUENCE, oid(dotted), ...parameters));

/** AlgorithmIdentifier DER and node:crypto digest for each CA key type (RFC 8410, RFC 5758, RFC 4055). */
const SIGNATURE: Record<CaKeyType, { algorithm: Uint8Array; digest: string | null }> = {
  "ed25519": { algorithm: algorithm("1.3.101.112"), digest: null },
  "ecdsa-p256": { algorithm: algorithm("1.2.840.10045.4.3.2"), digest: "sha256" }, // ecdsa-with-SHA256
  "ecdsa-p384": { algorithm: algorithm("1.2.840.10045.4.3.3"), digest: "sha384" }, // ecdsa-with-SHA384
  "rsa": { algorithm: algorithm("1.2.840.113549.1.1.11", node(TAG.NULL)), digest: "sha256" }, // sha256WithRSA
};

/** An Extension (RFC 5280 §4.1): `critical` written only when true (DER omits a DEFAULT FALSE). */
const extension = (dotted: string, critical: boolean, value: DerNode) =>
  encode(node(
    TAG.SEQUENCE,
    oid(dotted),
    ...(critical ? [node(TAG.BOOLEAN, Uint8Array.of(0xff))] : []),
    node(TAG.OCTET_STRING, value),
  ));

/** [0] EXPLICIT Version v3 (INTEGER 2). */
const VERSION_V3 = encode(node(0xa0, node(TAG.INTEGER, Uint8Array.of(2))));
/** KeyUsage critical: digitalSignature only (BIT STRING, 7 unused bits, 0x80). */
const KEY_USAGE = extension("2.5.29.15", true, node(TAG.BIT_STRING, Uint8Array.of(7, 0x80)));
/** ExtKeyUsage exactly [clientAuth]: apid refuses anything else, [serverAuth, clientAuth] included. */
const EXT_KEY_USAGE = extension("2.5.29.37", false, node(TAG.SEQUENCE, oid("1.3.6.1.5.5.7.3.2")));
/** BasicConstraints critical, CA false (empty SEQUENCE), as Go writes it. */
const BASIC_CONSTRAINTS = extension("2.5.29.19", true, node(TAG.SEQUENCE));

/** What stays the same for every leaf signed by one CA. */
export interface CertTemplate {
  /** The signature AlgorithmIdentifier (in the TBS and after it). */
  readonly algorithm: Uint8Array;
  /** Issuer Name: the CA subject bytes verbatim (Go matches issuer to subject by bytes). */
  readonly issuer: Uint8Array;
  /** [3] Extensions: KeyUsage, ExtKeyUsage, BasicConstraints, AuthorityKeyIdentifier (Go's order). */
  readonly extensions: Uint8Array;
  /** Sign `tbs` with the CA key. */
  sign(tbs: Uint8Array): Uint8Array;
}

/** Build the constant parts for `ca`. */
export function createCertTemplate(ca: LoadedCa): CertTemplate {
  const { algorithm, digest } = SIGNATURE[ca.keyType];
  // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING } (RFC 5280 §4.2.1.1).
  const aki = extension("2.5.29.35", false, node(TAG.SEQUENCE, node(0x80, ca.keyId)));
  const key = ca.signingKey;
  return Object.freeze({
    algorithm,
    issuer: ca.subjectDer,
    extensions: encode(node(0xa3, node(TAG.SEQUENCE, KEY_USAGE, EXT_KEY_USAGE, BASIC_CONSTRAINTS, aki))),
    sign: (tbs: Uint8Array) => new Uint8Array(sign(digest, tbs, key)),
  });
}

/** The varying fields of one leaf. */
export interface LeafFields {
  /** Positive INTEGER content, minimal (no leading 0x00 unless the next byte has its top bit set). */
  serial: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  subject: DerNode;
  spki: Uint8Array;
}

const ZERO = Uint8Array.of(0);

/** DER of the signed certificate (RFC 5280 §4.1): two allocations, the TBS and the certificate. */
export function buildCertificate(t: CertTemplate, f: LeafFields): Uint8Array {
  const tbs = encode(node(
    TAG.SEQUENCE,
    VERSION_V3,
    node(TAG.INTEGER, f.serial),
    t.algorithm,
    t.issuer,
    node(TAG.SEQUENCE, timeNode(f.notBefore), timeNode(f.notAfter)),
    f.subject,
    f.spki,
    t.extensions,
  ));
  const signature = t.sign(tbs);
  return encode(node(TAG.SEQUENCE, tbs, t.algorithm, node(TAG.BIT_STRING, ZERO, signature)));
}
