/**
 * @module Byte-level mutations of a DER document for differential tests of parsers of attacker input: bit flips,
 * truncation, trailing bytes, tampered length fields (BER forms included), and children overflowing their parent.
 */

import { readDer } from "../../server/talos_ca/der_read.ts";
import type { SeededRandom } from "./seeded_random.ts";

/** Where one element of a valid document sits. */
export interface Element {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Tag + length octets. */
  headerLength: number;
  contentLength: number;
  depth: number;
}

/** Every element of a valid DER document, depth first (primitive contents are not looked into). */
export function elements(der: Uint8Array): Element[] {
  const out: Element[] = [];
  const walk = (from: number, end: number, d: number) => {
    for (let at = from; at < end;) {
      const el = readDer(der.subarray(0, end), at);
      const headerLength = el.raw.length - el.content.length;
      out.push({ tag: el.tag, start: at, headerLength, contentLength: el.content.length, depth: d });
      if (el.tag & 0x20) walk(at + headerLength, at + el.raw.length, d + 1);
      at += el.raw.length;
    }
  };
  walk(0, der.length, 0);
  return out;
}

/** `bytes` with `count` bytes at `at` replaced by `insert`. */
export function splice(bytes: Uint8Array, at: number, count: number, insert: ArrayLike<number> = []): Uint8Array {
  const out = new Uint8Array(bytes.length - count + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + count), at + insert.length);
  return out;
}

/** Minimal definite length octets (X.690 §8.1.3.5). */
function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [0x80 | bytes.length, ...bytes];
}

/** Ways to rewrite one element's length field; each returns the new document. */
const LENGTH_TAMPERS = {
  /** Declared one byte longer or shorter than the content. */
  "off-by-one": (d: Uint8Array, e: Element, r: SeededRandom) =>
    setLength(d, e, lengthOctets(Math.max(0, e.contentLength + (r.next() < 0.5 ? 1 : -1)))),
  /** Any length at all. */
  "random": (d: Uint8Array, e: Element, r: SeededRandom) =>
    setLength(d, e, lengthOctets(r.int(e.contentLength * 2 + 2))),
  /** BER: the same length with a leading zero octet or a long form where the short one fits. */
  "non-minimal": (d: Uint8Array, e: Element) => {
    const minimal = lengthOctets(e.contentLength);
    const body = minimal.length === 1 ? minimal : minimal.slice(1);
    return setLength(d, e, [0x80 | (body.length + 1), 0, ...body]);
  },
  /** BER: indefinite length, the content closed by an end-of-contents pair. */
  "indefinite": (d: Uint8Array, e: Element) =>
    splice(setLength(d, e, [0x80]), e.start + 1 + 1 + e.contentLength, 0, [0, 0]),
  /** A length of more octets than any parser reads, or a reserved form. */
  "huge": (d: Uint8Array, e: Element, r: SeededRandom) =>
    setLength(d, e, r.pick([[0x84, 0, 0, 1, 0], [0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0xff]])),
  /** A child declares more than its parent has left: nested length overflow. */
  "overflow-parent": (d: Uint8Array, e: Element, r: SeededRandom) =>
    setLength(d, e, lengthOctets(e.contentLength + 1 + r.int(300))),
} as const;
export type LengthTamper = keyof typeof LENGTH_TAMPERS;
export const LENGTH_TAMPER_NAMES = Object.keys(LENGTH_TAMPERS) as LengthTamper[];

function setLength(d: Uint8Array, e: Element, octets: number[]): Uint8Array {
  return splice(d, e.start + 1, e.headerLength - 1, octets);
}

/** Rewrite the length field of `e` (parents keep their lengths). */
export function tamperLength(der: Uint8Array, e: Element, how: LengthTamper, r: SeededRandom): Uint8Array {
  return LENGTH_TAMPERS[how](der, e, r);
}

/** Flip one random bit. */
export function flipBit(der: Uint8Array, r: SeededRandom): { bytes: Uint8Array; at: number } {
  const at = r.int(der.length);
  const bytes = der.slice();
  bytes[at]! ^= 1 << r.int(8);
  return { bytes, at };
}

/** Cut the document at a random length (possibly empty). */
export function truncate(der: Uint8Array, r: SeededRandom): Uint8Array {
  return der.slice(0, r.int(der.length));
}

/** Append 1 to 4 random bytes (or a whole extra element). */
export function appendTrailing(der: Uint8Array, r: SeededRandom): Uint8Array {
  const extra = r.next() < 0.3 ? [0x05, 0x00] : Array.from(r.bytes(1 + r.int(4)));
  return splice(der, der.length, 0, extra);
}
