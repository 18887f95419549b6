/** @module Per-CA DER template of a Talos client certificate: everything constant is encoded once, at load. */

import { sign } from "node:crypto";
import { concat, type DerNode, encode, hex, node, TAG, tlv } from "./der.ts";
import type { LoadedCa } from "./load.ts";
import { timeNode } from "./name.ts";
import type { CaKeyType } from "./types.ts";

/** AlgorithmIdentifier DER and node:crypto digest for each CA key type (RFC 8410, RFC 5758, RFC 4055). */
const SIGNATURE: Record<CaKeyType, { algorithm: Uint8Array; digest: string | null }> = {
  "ed25519": { algorithm: hex("300506032b6570"), digest: null },
  "ecdsa-p256": { algorithm: hex("300a06082a8648ce3d040302"), digest: "sha256" },
  "ecdsa-p384": { algorithm: hex("300a06082a8648ce3d040303"), digest: "sha384" },
  "rsa": { algorithm: hex("300d06092a864886f70d01010b0500"), digest: "sha256" },
};

/** [0] EXPLICIT Version v3. */
const VERSION_V3 = hex("a003020102");
/** KeyUsage critical: digitalSignature only. */
const KEY_USAGE = hex("300e0603551d0f0101ff040403020780");
/** ExtKeyUsage exactly [clientAuth]: apid refuses anything else, [serverAuth, clientAuth] included. */
const EXT_KEY_USAGE = hex("30130603551d25040c300a06082b06010505070302");
/** BasicConstraints critical, CA false (empty SEQUENCE), as Go writes it. */
const BASIC_CONSTRAINTS = hex("300c0603551d130101ff04023000");
const OID_AKI = hex("0603551d23");

/** What stays the same for every leaf signed by one CA. */
export interface CertTemplate {
  /** AlgorithmIdentifier + issuer Name (the CA subject bytes verbatim). */
  readonly algorithmAndIssuer: Uint8Array;
  readonly algorithm: Uint8Array;
  /** [3] Extensions: KeyUsage, ExtKeyUsage, BasicConstraints, AuthorityKeyIdentifier (Go's order). */
  readonly extensions: Uint8Array;
  /** Sign `tbs` with the CA key. */
  sign(tbs: Uint8Array): Uint8Array;
}

/** Build the constant parts for `ca`. */
export function createCertTemplate(ca: LoadedCa): CertTemplate {
  const { algorithm, digest } = SIGNATURE[ca.keyType];
  const aki = tlv(TAG.SEQUENCE, OID_AKI, tlv(TAG.OCTET_STRING, tlv(TAG.SEQUENCE, tlv(0x80, ca.keyId))));
  const key = ca.signingKey;
  return Object.freeze({
    algorithm,
    algorithmAndIssuer: concat(algorithm, ca.subjectDer),
    extensions: tlv(0xa3, tlv(TAG.SEQUENCE, KEY_USAGE, EXT_KEY_USAGE, BASIC_CONSTRAINTS, aki)),
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
    t.algorithmAndIssuer,
    node(TAG.SEQUENCE, timeNode(f.notBefore), timeNode(f.notAfter)),
    f.subject,
    f.spki,
    t.extensions,
  ));
  const signature = t.sign(tbs);
  return encode(node(TAG.SEQUENCE, tbs, t.algorithm, node(TAG.BIT_STRING, ZERO, signature)));
}
