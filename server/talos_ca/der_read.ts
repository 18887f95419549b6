/** @module A strict DER (X.690) reader for attacker-supplied bytes (CSRs) and CA material: definite, minimal lengths only. */

import { TAG } from "./der.ts";

/** A parsed TLV: `raw` is the whole element, `content` its value, both views into the input. */
export interface Der {
  tag: number;
  raw: Uint8Array;
  content: Uint8Array;
}

/** Read one DER element at `offset`; throws SyntaxError on anything that is not strict DER. */
export function readDer(buf: Uint8Array, offset = 0): Der {
  const { start, end } = locate(buf, offset, buf.length);
  return { tag: buf[offset]!, raw: buf.subarray(offset, end), content: buf.subarray(start, end) };
}

/** Where the element at `offset` keeps its content, reading nothing at or past `limit`; SyntaxError unless DER. */
function locate(buf: Uint8Array, offset: number, limit: number): { start: number; end: number } {
  if (offset + 2 > limit) throw new SyntaxError("DER: truncated header");
  const tag = buf[offset]!;
  let lenByte = buf[offset + 1]!;
  if ((tag & 0x1f) === 0x1f) throw new SyntaxError("DER: high tag numbers are not supported");
  let at = offset + 2;
  let len = lenByte;
  if (lenByte & 0x80) {
    const n = lenByte & 0x7f;
    if (n === 0 || n > 3) throw new SyntaxError("DER: unsupported length form");
    if (at + n > limit) throw new SyntaxError("DER: truncated length");
    len = 0;
    for (let i = 0; i < n; i++) {
      lenByte = buf[at++]!;
      if (i === 0 && lenByte === 0) throw new SyntaxError("DER: non-minimal length");
      len = len * 256 + lenByte;
    }
    if (len < 0x80) throw new SyntaxError("DER: non-minimal length");
  }
  if (at + len > limit) throw new SyntaxError("DER: element runs past the end of its container");
  return { start: at, end: at + len };
}

/** The children of a constructed element, in order; the content must be consumed exactly. */
export function readChildren(parent: Der): Der[] {
  if (!(parent.tag & 0x20)) throw new SyntaxError(`DER: tag 0x${parent.tag.toString(16)} is not constructed`);
  const out: Der[] = [];
  for (let at = 0; at < parent.content.length;) {
    const child = readDer(parent.content, at);
    out.push(child);
    at += child.raw.length;
  }
  return out;
}

/** Parse a whole buffer as exactly one element (no trailing bytes). */
export function readOnly(buf: Uint8Array, expectTag?: number): Der {
  const el = readDer(buf, 0);
  if (el.raw.length !== buf.length) throw new SyntaxError("DER: trailing bytes after the element");
  if (expectTag !== undefined && el.tag !== expectTag) {
    throw new SyntaxError(`DER: expected tag 0x${expectTag.toString(16)}, got 0x${el.tag.toString(16)}`);
  }
  return el;
}

/** Dotted text of an OBJECT IDENTIFIER's content; throws SyntaxError unless it is the minimal encoding (X.690 §8.19). */
export function oidText(content: Uint8Array): string {
  const arcs = oidArcs(content, 0, content.length);
  const first = arcs.shift()!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join(".");
}

/** The encoded arcs of the OBJECT IDENTIFIER content in buf[from..to) (the first two joined, X.690 §8.19.4). */
function oidArcs(buf: Uint8Array, from: number, to: number): number[] {
  if (from === to) throw new SyntaxError("DER: empty OBJECT IDENTIFIER");
  const arcs: number[] = [];
  let v = 0;
  let starting = true;
  for (let i = from; i < to; i++) {
    const b = buf[i]!;
    if (starting && b === 0x80) throw new SyntaxError("DER: OBJECT IDENTIFIER arc with a leading 0x80 octet");
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER) throw new SyntaxError("DER: OBJECT IDENTIFIER arc too large");
    starting = !(b & 0x80);
    if (starting) {
      arcs.push(v);
      v = 0;
    }
  }
  if (!starting) throw new SyntaxError("DER: OBJECT IDENTIFIER ends inside an arc");
  return arcs;
}

/** X.680 PrintableString alphabet, by code point. */
const PRINTABLE = Uint8Array.from({ length: 128 }, (_, c) => +/[A-Za-z0-9 '()+,\-./:=?]/.test(String.fromCharCode(c)));
const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Check a whole element tree as strict DER: every constructed element holds exactly its children; SEQUENCE and SET
 * only constructed (X.690 §8.9, §8.11), every other universal type only primitive (§10.2); and the universal
 * primitives a certificate or CSR uses hold valid content (BOOLEAN, INTEGER, BIT STRING, NULL, OBJECT IDENTIFIER,
 * UTF8String, PrintableString, IA5String). Throws SyntaxError naming the first problem. One pass over the bytes,
 * no views made: CSRs are checked on every exchange.
 */
export function checkDerTree(el: Der): void {
  checkElements(el.raw, 0, el.raw.length);
}

function checkElements(buf: Uint8Array, from: number, to: number): void {
  for (let at = from; at < to;) {
    const tag = buf[at]!;
    const { start, end } = locate(buf, at, to);
    if (tag & 0x20) {
      if ((tag & 0xc0) === 0 && tag !== TAG.SEQUENCE && tag !== TAG.SET) {
        throw new SyntaxError(`DER: tag 0x${tag.toString(16)} in constructed form`);
      }
      checkElements(buf, start, end);
    } else if ((tag & 0xc0) === 0) checkPrimitive(tag, buf, start, end);
    at = end;
  }
}

function checkPrimitive(tag: number, buf: Uint8Array, start: number, end: number): void {
  const bad = (what: string) => new SyntaxError(`DER: ${what}`);
  const length = end - start, first = buf[start]!, second = buf[start + 1]!;
  switch (tag) {
    case 0x10:
    case 0x11:
      throw bad("SEQUENCE or SET in primitive form");
    case TAG.BOOLEAN:
      if (length !== 1 || (first !== 0 && first !== 0xff)) throw bad("BOOLEAN other than 00 or ff");
      return;
    case TAG.INTEGER:
    case 0x0a: // ENUMERATED
      if (length === 0 || (length > 1 && ((first === 0 && second < 0x80) || (first === 0xff && second >= 0x80)))) {
        throw bad("INTEGER that is empty or not minimal");
      }
      return;
    case TAG.BIT_STRING:
      if (length === 0 || first > 7 || (length === 1 && first !== 0) || (buf[end - 1]! & ((1 << first) - 1)) !== 0) {
        throw bad("BIT STRING with a bad unused-bits count or unused bits set");
      }
      return;
    case TAG.NULL:
      if (length !== 0) throw bad("NULL with content");
      return;
    case TAG.OID:
      oidArcs(buf, start, end);
      return;
    case TAG.UTF8_STRING:
      try {
        fatalUtf8.decode(buf.subarray(start, end));
      } catch {
        throw bad("UTF8String that is not UTF-8");
      }
      return;
    case TAG.PRINTABLE_STRING:
      for (let i = start; i < end; i++) if (!PRINTABLE[buf[i]!]) throw bad("PrintableString outside its alphabet");
      return;
    case 0x16: // IA5String
      for (let i = start; i < end; i++) if (buf[i]! > 0x7f) throw bad("IA5String outside ASCII");
      return;
  }
}
