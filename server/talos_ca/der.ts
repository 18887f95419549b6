/** @module A tiny DER (X.690) writer and reader: just what certificate issuance and CSR parsing need. */

/** DER tags used here. */
export const TAG = Object.freeze({
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
});

/** Length octets for a content of `n` bytes (definite form, minimal). */
export function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n < 0x100) return Uint8Array.of(0x81, n);
  if (n < 0x10000) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  if (n < 0x1000000) return Uint8Array.of(0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
  throw new RangeError(`DER content of ${n} bytes is too long`);
}

/** One TLV whose content is the concatenation of `parts`. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  return concat(Uint8Array.of(tag), derLength(size), ...parts);
}

/** Concatenate byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A DER value to write in one pass: pre-encoded bytes (copied as they are), a string TLV (UTF-8 content), or a TLV
 * whose content is its items. `encode` sizes the tree, then writes it into one buffer: typed-array allocations are
 * the main cost of building a certificate in Deno, so the hot path makes one per certificate.
 */
export type DerNode = Uint8Array | DerText | DerTlv;
export interface DerText {
  tag: number;
  text: string;
  len?: number;
}
export interface DerTlv {
  tag: number;
  items: DerNode[];
  len?: number;
}

/** A TLV node with content `items`. */
export const node = (tag: number, ...items: DerNode[]): DerTlv => ({ tag, items });
/** A string TLV node (content = UTF-8 of `text`; the caller makes it well formed). */
export const textNode = (tag: number, text: string): DerText => ({ tag, text });

const headerSize = (n: number) => (n < 0x80 ? 2 : n < 0x100 ? 3 : n < 0x10000 ? 4 : 5);

/** UTF-8 byte length of `s` (a lone surrogate counts 3 bytes: TextEncoder writes it as U+FFFD). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) n += 4, i++;
    else n += 3;
  }
  return n;
}

/** Total encoded size of `n`, caching content lengths on the nodes. */
function sizeOf(n: DerNode): number {
  if (n instanceof Uint8Array) return n.length;
  let len = 0;
  if ("text" in n) len = utf8Length(n.text);
  else for (const item of n.items) len += sizeOf(item);
  if (len >= 0x1000000) throw new RangeError(`DER content of ${len} bytes is too long`);
  n.len = len;
  return headerSize(len) + len;
}

const utf8 = new TextEncoder();

function write(n: DerNode, out: Uint8Array, at: number): number {
  if (n instanceof Uint8Array) {
    out.set(n, at);
    return at + n.length;
  }
  const len = n.len!;
  out[at++] = n.tag;
  if (len < 0x80) out[at++] = len;
  else if (len < 0x100) out[at++] = 0x81, out[at++] = len;
  else if (len < 0x10000) out[at++] = 0x82, out[at++] = len >> 8, out[at++] = len & 0xff;
  else out[at++] = 0x83, out[at++] = len >> 16, out[at++] = (len >> 8) & 0xff, out[at++] = len & 0xff;
  if ("items" in n) {
    for (const item of n.items) at = write(item, out, at);
    return at;
  }
  const s = n.text;
  if (len === s.length) { for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i); }
  else utf8.encodeInto(s, out.subarray(at, at + len));
  return at + len;
}

/** DER bytes of a node tree, in a single allocation. */
export function encode(n: DerNode): Uint8Array {
  const out = new Uint8Array(sizeOf(n));
  write(n, out, 0);
  return out;
}

/** Bytes from a hex string (test vectors and constant OIDs). */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (!/^(?:[0-9a-f]{2})*$/i.test(clean)) throw new SyntaxError(`not hex: "${text}"`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

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

/** Dotted text of an OBJECT IDENTIFIER's content. */
export function oidText(content: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const b of content) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join(".");
}
