/** @module DER nodes for the parts of a leaf certificate that vary: subject DN and validity times. */

import { TAG } from "./der.ts";
import { type DerNode, node, oid, textNode } from "./der_write.ts";

const OID_O = oid("2.5.4.10");
const OID_CN = oid("2.5.4.3");
/** X.680 PrintableString alphabet (what Go and @peculiar/x509 pick when a value fits it). */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** A DirectoryString: PrintableString when the value fits that alphabet, else UTF8String (RFC 5280 §4.1.2.4). */
function directoryString(value: string): DerNode {
  return PRINTABLE.test(value)
    ? textNode(TAG.PRINTABLE_STRING, value)
    : textNode(TAG.UTF8_STRING, value.toWellFormed());
}

function rdn(oid: Uint8Array, value: string): DerNode {
  return node(TAG.SET, node(TAG.SEQUENCE, oid, directoryString(value)));
}

/**
 * Subject Name: one RDN `O=<role>` per role in the given order, then `CN=<commonName>` when not empty.
 * apid reads roles from every O value (Go's pkix.Name.FillFromRDNSequence walks all RDNs).
 */
export function subjectNode(roles: readonly string[], commonName: string): DerNode {
  const rdns = roles.map((r) => rdn(OID_O, r));
  if (commonName !== "") rdns.push(rdn(OID_CN, commonName));
  return node(TAG.SEQUENCE, ...rdns);
}

const two = (n: number) => (n < 10 ? "0" : "") + n;

/** RFC 5280 §4.1.2.5: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds, Zulu. */
export function timeNode(date: Date): DerNode {
  const y = date.getUTCFullYear();
  const rest = two(date.getUTCMonth() + 1) + two(date.getUTCDate()) + two(date.getUTCHours()) +
    two(date.getUTCMinutes()) + two(date.getUTCSeconds()) + "Z";
  if (y >= 1950 && y < 2050) return textNode(TAG.UTC_TIME, two(y % 100) + rest);
  if (y < 0 || y > 9999) throw new RangeError(`year ${y} cannot be encoded in a certificate`);
  return textNode(TAG.GENERALIZED_TIME, String(y).padStart(4, "0") + rest);
}
