/**
 * @module The one DER (X.690) writer: a tree of nodes sized, then written into a single buffer. Certificates, their
 * constant template parts, leaf private keys and test fixtures are all built with it.
 */

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

/** An OBJECT IDENTIFIER TLV from its dotted text (X.690 §8.19): constants are written from the text the RFCs give. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((a) => (/^\d+$/.test(a) ? Number(a) : NaN));
  const [a, b] = arcs;
  if (arcs.length < 2 || arcs.some((n) => !Number.isSafeInteger(n)) || a! > 2 || (a! < 2 && b! > 39)) {
    throw new SyntaxError(`not an OBJECT IDENTIFIER: "${dotted}"`);
  }
  const content: number[] = [];
  for (const arc of [a! * 40 + b!, ...arcs.slice(2)]) {
    const base128 = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v % 128) | 0x80);
    content.push(...base128);
  }
  return encode(node(0x06, Uint8Array.from(content)));
}
