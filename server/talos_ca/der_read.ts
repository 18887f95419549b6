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
  const tag = buf[offset];
  let lenByte = buf[offset + 1];
  if (tag === undefined || lenByte === undefined) throw new SyntaxError("DER: truncated header");
  if ((tag & 0x1f) === 0x1f) throw new SyntaxError("DER: high tag numbers are not supported");
  let at = offset + 2;
  let len = lenByte;
  if (lenByte & 0x80) {
    const n = lenByte & 0x7f;
    if (n === 0 || n > 3) throw new SyntaxError("DER: unsupported length form");
    len = 0;
    for (let i = 0; i < n; i++) {
      lenByte = buf[at++];
      if (lenByte === undefined) throw new SyntaxError("DER: truncated length");
      if (i === 0 && lenByte === 0) throw new SyntaxError("DER: non-minimal length");
      len = len * 256 + lenByte;
    }
    if (len < 0x80) throw new SyntaxError("DER: non-minimal length");
  }
  if (at + len > buf.length) throw new SyntaxError("DER: element runs past the end of its container");
  return { tag, raw: buf.subarray(offset, at + len), content: buf.subarray(at, at + len) };
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
  if (content.length === 0) throw new SyntaxError("DER: empty OBJECT IDENTIFIER");
  const arcs: number[] = [];
  let v = 0;
  let starting = true;
  for (const b of content) {
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
  const first = arcs.shift()!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join(".");
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Check a whole element tree as strict DER: every constructed element holds exactly its children; SEQUENCE and SET
 * only constructed (X.690 §8.9, §8.11), every other universal type only primitive (§10.2); and the universal
 * primitives a certificate or CSR uses hold valid content (BOOLEAN, INTEGER, BIT STRING, NULL, OBJECT IDENTIFIER,
 * UTF8String, PrintableString, IA5String). Throws SyntaxError naming the first problem.
 */
export function checkDerTree(el: Der): void {
  const universal = (el.tag & 0xc0) === 0;
  if (el.tag & 0x20) {
    if (universal && el.tag !== TAG.SEQUENCE && el.tag !== TAG.SET) {
      throw new SyntaxError(`DER: tag 0x${el.tag.toString(16)} in constructed form`);
    }
    for (const child of readChildren(el)) checkDerTree(child);
  } else if (universal) checkPrimitive(el.tag, el.content);
}

function checkPrimitive(tag: number, c: Uint8Array): void {
  const bad = (what: string) => new SyntaxError(`DER: ${what}`);
  switch (tag) {
    case 0x10:
    case 0x11:
      throw bad("SEQUENCE or SET in primitive form");
    case TAG.BOOLEAN:
      if (c.length !== 1 || (c[0] !== 0 && c[0] !== 0xff)) throw bad("BOOLEAN other than 00 or ff");
      return;
    case TAG.INTEGER:
    case 0x0a: // ENUMERATED
      if (c.length === 0 || (c.length > 1 && ((c[0] === 0 && c[1]! < 0x80) || (c[0] === 0xff && c[1]! >= 0x80)))) {
        throw bad("INTEGER that is empty or not minimal");
      }
      return;
    case TAG.BIT_STRING:
      if (c.length === 0 || c[0]! > 7 || (c.length === 1 && c[0] !== 0) || (c.at(-1)! & ((1 << c[0]!) - 1)) !== 0) {
        throw bad("BIT STRING with a bad unused-bits count or unused bits set");
      }
      return;
    case TAG.NULL:
      if (c.length !== 0) throw bad("NULL with content");
      return;
    case TAG.OID:
      oidText(c);
      return;
    case TAG.UTF8_STRING:
      try {
        fatalUtf8.decode(c);
      } catch {
        throw bad("UTF8String that is not UTF-8");
      }
      return;
    case TAG.PRINTABLE_STRING:
      if (!PRINTABLE.test(String.fromCharCode(...c))) throw bad("PrintableString outside its alphabet");
      return;
    case 0x16: // IA5String
      if (c.some((b) => b > 0x7f)) throw bad("IA5String outside ASCII");
      return;
  }
}
