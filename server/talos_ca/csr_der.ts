/**
 * @module The strict structure of a PKCS#10 CertificationRequest (RFC 2986 §4): every element strict DER, every field
 * of the expected type, Names and Attributes included, though the issuer only uses the key. Attacker input: refuse
 * anything another parser might read differently.
 */

import { TAG } from "./der.ts";
import { checkDerTree, type Der, oidText, readChildren, readOnly } from "./der_read.ts";

/** What the CSR check needs from a well-formed request. */
export interface CsrParts {
  /** The DER of CertificationRequestInfo: the signed bytes. */
  info: Uint8Array;
  /** Dotted OID of the signature algorithm. */
  algorithm: string;
  /** Its parameters, if any (raw DER). */
  parameters: Uint8Array | undefined;
  signature: Uint8Array;
  spki: Der;
}

const ATTRIBUTES = 0xa0; // [0] IMPLICIT SET OF Attribute

/** Parse and check a whole CertificationRequest; throws SyntaxError naming the rule that failed. */
export function parseCsr(der: Uint8Array): CsrParts {
  const request = readOnly(der, TAG.SEQUENCE);
  const [info, algorithm, signature] = fields(request, "CertificationRequest", [
    TAG.SEQUENCE,
    TAG.SEQUENCE,
    TAG.BIT_STRING,
  ]);
  const [version, subject, spki, attributes, ...extra] = readChildren(info!);
  if (version?.tag !== TAG.INTEGER || version.content.length !== 1 || version.content[0] !== 0) {
    throw new SyntaxError("CertificationRequestInfo version must be 0");
  }
  if (subject?.tag !== TAG.SEQUENCE) throw new SyntaxError("CertificationRequestInfo subject is not a Name");
  checkName(subject);
  if (spki?.tag !== TAG.SEQUENCE) throw new SyntaxError("CertificationRequestInfo has no SubjectPublicKeyInfo");
  const [keyAlgorithm] = fields(spki, "SubjectPublicKeyInfo", [TAG.SEQUENCE, TAG.BIT_STRING]);
  algorithmIdentifier(keyAlgorithm!);
  if (attributes !== undefined) checkAttributes(attributes);
  if (extra.length > 0) throw new SyntaxError("CertificationRequestInfo has fields after its attributes");
  const alg = algorithmIdentifier(algorithm!);
  // A signature is whole octets: a BIT STRING with unused bits would hide some of them.
  if (signature!.content[0] !== 0) throw new SyntaxError("signature BIT STRING with unused bits");
  checkDerTree(request); // and everything the checks above did not look into
  return { info: info!.raw, ...alg, signature: signature!.content.subarray(1), spki };
}

/** The children of `el`, exactly `tags` in order. */
function fields(el: Der, what: string, tags: number[]): Der[] {
  const children = readChildren(el);
  if (children.length !== tags.length || children.some((c, i) => c.tag !== tags[i])) {
    throw new SyntaxError(`${what} does not have its ${tags.length} fields of the right types`);
  }
  return children;
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } (RFC 5280 §4.1.1.2). */
function algorithmIdentifier(el: Der): { algorithm: string; parameters: Uint8Array | undefined } {
  const [id, parameters, ...extra] = readChildren(el);
  if (id?.tag !== TAG.OID || extra.length > 0) throw new SyntaxError("malformed AlgorithmIdentifier");
  return { algorithm: oidText(id.content), parameters: parameters?.raw };
}

/** Name ::= SEQUENCE OF SET SIZE (1..MAX) OF SEQUENCE { type OBJECT IDENTIFIER, value ANY } (RFC 5280 §4.1.2.4). */
function checkName(name: Der): void {
  for (const rdn of readChildren(name)) {
    const pairs = rdn.tag === TAG.SET ? readChildren(rdn) : [];
    if (pairs.length === 0) throw new SyntaxError("subject Name has an empty or non-SET RelativeDistinguishedName");
    for (const pair of pairs) {
      const [type, value, ...extra] = pair.tag === TAG.SEQUENCE ? readChildren(pair) : [];
      if (type?.tag !== TAG.OID || value === undefined || extra.length > 0) {
        throw new SyntaxError("subject Name has a malformed AttributeTypeAndValue");
      }
      oidText(type.content);
    }
  }
}

/** attributes [0] IMPLICIT SET OF SEQUENCE { type OBJECT IDENTIFIER, values SET OF ANY } (RFC 2986 §4.1). */
function checkAttributes(attributes: Der): void {
  if (attributes.tag !== ATTRIBUTES) throw new SyntaxError("CertificationRequestInfo attributes are not [0]");
  for (const attribute of readChildren(attributes)) {
    const [type, values, ...extra] = attribute.tag === TAG.SEQUENCE ? readChildren(attribute) : [];
    if (type?.tag !== TAG.OID || values?.tag !== TAG.SET || extra.length > 0) {
      throw new SyntaxError("CertificationRequestInfo has a malformed Attribute");
    }
    oidText(type.content);
  }
}

/** Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } in strict DER, both positive (RFC 3279 §2.2.3). */
export function checkEcdsaSignature(signature: Uint8Array): void {
  const sequence = readOnly(signature, TAG.SEQUENCE);
  checkDerTree(sequence);
  for (const n of fields(sequence, "Ecdsa-Sig-Value", [TAG.INTEGER, TAG.INTEGER])) {
    if (n.content[0]! & 0x80) throw new SyntaxError("Ecdsa-Sig-Value with a negative integer");
  }
}
