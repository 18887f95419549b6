/** @module DER (X.690) vocabulary shared by der_write.ts and der_read.ts: tag numbers and hex conversion. */

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
