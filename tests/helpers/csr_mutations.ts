/**
 * @module Seeded mutations of real PKCS#10 CSRs for the CSR-parsing differential test: damaged bytes as sent, and
 * malformed content re-signed by the CSR's own key (so only the parser, not the signature, can refuse it).
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { Buffer } from "node:buffer";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { TAG } from "../../server/talos_ca/der.ts";
import { readChildren, readOnly } from "../../server/talos_ca/der_read.ts";
import { encode, node, oid } from "../../server/talos_ca/der_write.ts";
import {
  appendTrailing,
  elements,
  flipBit,
  LENGTH_TAMPER_NAMES,
  splice,
  tamperLength,
  truncate,
} from "./der_mutations.ts";
import { toCryptoKeys } from "./dev_ca.ts";
import type { SeededRandom } from "./seeded_random.ts";

export type CsrKind = "ed25519" | "p256" | "p384" | "rsa2048";

/** A valid CSR, its parts, and the key that signed it. */
export interface Base {
  kind: CsrKind;
  key: KeyObject;
  der: Uint8Array;
  /** CertificationRequestInfo, the signed bytes. */
  info: Uint8Array;
  /** The signature AlgorithmIdentifier. */
  algorithm: Uint8Array;
  digest: string | null;
}

const KEYS: Record<CsrKind, () => KeyObject> = {
  ed25519: () => generateKeyPairSync("ed25519").privateKey,
  p256: () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
  p384: () => generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey,
  rsa2048: () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey,
};
const DIGEST: Record<CsrKind, string | null> = { ed25519: null, p256: "sha256", p384: "sha384", rsa2048: "sha256" };

/** One CSR per key kind, made by @peculiar/x509 with a subject and extensions, as a client would send. */
export async function baseCsrs(): Promise<Base[]> {
  const out: Base[] = [];
  for (const kind of Object.keys(KEYS) as CsrKind[]) {
    const key = KEYS[kind]();
    const keys = await toCryptoKeys(key);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: "CN=alice, O=os:impersonator",
      keys,
      signingAlgorithm: keys.signAlg,
      extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
    });
    const der = new Uint8Array(csr.rawData);
    const [info, algorithm] = readChildren(readOnly(der, TAG.SEQUENCE));
    out.push({ kind, key, der, info: info!.raw, algorithm: algorithm!.raw, digest: DIGEST[kind] });
  }
  return out;
}

/** A CSR of `info` under `algorithm`, signed by the base key with `digest`; `unusedBits` for the BIT STRING. */
export function resign(b: Base, info: Uint8Array, algorithm = b.algorithm, digest = b.digest, unusedBits = 0) {
  const signature = new Uint8Array(signWith(digest, info, b.key) ?? sign(b.digest, info, b.key));
  return encode(node(TAG.SEQUENCE, info, algorithm, node(TAG.BIT_STRING, Uint8Array.of(unusedBits), signature)));
}

/** node:crypto's signature, or undefined where Deno cannot make it (ECDSA P-384 with SHA-1): the own digest then. */
function signWith(digest: string | null, info: Uint8Array, key: KeyObject): Uint8Array | undefined {
  try {
    return sign(digest, info, key);
  } catch {
    return undefined;
  }
}

const alg = (dotted: string, withNull = false) =>
  encode(node(TAG.SEQUENCE, oid(dotted), ...(withNull ? [node(TAG.NULL)] : [])));

/** Signature AlgorithmIdentifiers to put in place of the real one, with the digest to sign with (if the key can). */
const ALGORITHMS: { name: string; der: Uint8Array; family: string; digest: string | null }[] = [
  { name: "sha1WithRSA", der: alg("1.2.840.113549.1.1.5", true), family: "rsa", digest: "sha1" },
  { name: "sha256WithRSA", der: alg("1.2.840.113549.1.1.11", true), family: "rsa", digest: "sha256" },
  { name: "sha256WithRSA without NULL", der: alg("1.2.840.113549.1.1.11"), family: "rsa", digest: "sha256" },
  { name: "sha512WithRSA", der: alg("1.2.840.113549.1.1.13", true), family: "rsa", digest: "sha512" },
  { name: "rsassaPss without parameters", der: alg("1.2.840.113549.1.1.10"), family: "rsa", digest: "sha256" },
  { name: "ecdsa-with-SHA1", der: alg("1.2.840.10045.4.1"), family: "ec", digest: "sha1" },
  { name: "ecdsa-with-SHA256", der: alg("1.2.840.10045.4.3.2"), family: "ec", digest: "sha256" },
  { name: "ecdsa-with-SHA256 + NULL", der: alg("1.2.840.10045.4.3.2", true), family: "ec", digest: "sha256" },
  { name: "ecdsa-with-SHA512", der: alg("1.2.840.10045.4.3.4"), family: "ec", digest: "sha512" },
  { name: "Ed25519", der: alg("1.3.101.112"), family: "ed25519", digest: null },
  { name: "Ed25519 + NULL", der: alg("1.3.101.112", true), family: "ed25519", digest: null },
  { name: "Ed448", der: alg("1.3.101.113"), family: "ed448", digest: null },
  { name: "id-ecPublicKey (a key, not a signature)", der: alg("1.2.840.10045.2.1"), family: "none", digest: null },
  { name: "unknown OID", der: alg("1.2.3.4.5"), family: "none", digest: null },
];
const FAMILY: Record<CsrKind, string> = { ed25519: "ed25519", p256: "ec", p384: "ec", rsa2048: "rsa" };

/** A random element inside the CertificationRequestInfo (itself included). */
function infoElement(b: Base, r: SeededRandom) {
  return r.pick(elements(b.info));
}

/** Every mutation: a name and a function from a base CSR to the bytes sent. */
export const CSR_MUTATIONS: Record<string, (b: Base, r: SeededRandom) => Uint8Array> = {
  "bit flip": (b, r) => flipBit(b.der, r).bytes,
  "bit flip in the info, re-signed": (b, r) => resign(b, flipBit(b.info, r).bytes),
  "truncated": (b, r) => truncate(b.der, r),
  "truncated info, re-signed": (b, r) => resign(b, truncate(b.info, r)),
  "trailing bytes": (b, r) => appendTrailing(b.der, r),
  "trailing bytes after the info, re-signed": (b, r) => resign(b, appendTrailing(b.info, r)),
  "length field tampered": (b, r) => {
    const all = elements(b.der);
    return tamperLength(b.der, r.pick(all), r.pick(LENGTH_TAMPER_NAMES), r);
  },
  "length field in the info tampered, re-signed": (b, r) =>
    resign(b, tamperLength(b.info, infoElement(b, r), r.pick(LENGTH_TAMPER_NAMES), r)),
  "nested length overflow, re-signed": (b, r) => {
    const nested = elements(b.info).filter((e) => e.depth > 0);
    return resign(b, tamperLength(b.info, r.pick(nested), "overflow-parent", r));
  },
  "extra element in the info, re-signed": (b, r) => {
    const extra = r.pick([encode(node(TAG.NULL)), encode(node(TAG.INTEGER, Uint8Array.of(1))), encode(node(0xa1))]);
    const [info] = readChildren(readOnly(b.der, TAG.SEQUENCE));
    return resign(b, encode(node(TAG.SEQUENCE, ...readChildren(info!).map((c) => c.raw), extra)));
  },
  "another signature algorithm": (b, r) => {
    const a = r.pick(ALGORITHMS);
    return a.family === FAMILY[b.kind] ? resign(b, b.info, a.der, a.digest) : resign(b, b.info, a.der);
  },
  "signature with unused bits": (b, r) => resign(b, b.info, b.algorithm, b.digest, 1 + r.int(7)),
  "version changed, re-signed": (b, r) => {
    const [info] = readChildren(readOnly(b.der, TAG.SEQUENCE));
    const [, ...rest] = readChildren(info!);
    const version = r.pick([[1], [2], [0, 0], [0xff], []]);
    return resign(
      b,
      encode(node(TAG.SEQUENCE, node(TAG.INTEGER, Uint8Array.from(version)), ...rest.map((c) => c.raw))),
    );
  },
  "element dropped from the info, re-signed": (b, r) => {
    const [info] = readChildren(readOnly(b.der, TAG.SEQUENCE));
    const children = readChildren(info!);
    children.splice(r.int(children.length), 1);
    return resign(b, encode(node(TAG.SEQUENCE, ...children.map((c) => c.raw))));
  },
  "tag changed in the info, re-signed": (b, r) => {
    const e = infoElement(b, r);
    return resign(b, splice(b.info, e.start, 1, [r.pick([0x04, 0x05, 0x10, 0x11, 0x30, 0x31, 0xa0, 0x80, 0x1f])]));
  },
};

/** Hex of bytes, for failure messages that let a case be replayed by hand. */
export const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
