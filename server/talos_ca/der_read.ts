/** @module A strict DER (X.690) reader for attacker-supplied bytes (CSRs) and CA material: definite, minimal lengths only. */

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
