/** @module PEM (RFC 7468) blocks in and out, accepting the base64-of-PEM form Talos machine configs use. */

import { Buffer } from "node:buffer";

/** One decoded PEM block. */
export interface PemBlock {
  label: string;
  der: Uint8Array;
  /** True when the block carries RFC 1421 headers (legacy encrypted keys: `Proc-Type: 4,ENCRYPTED`). */
  hasHeaders: boolean;
}

const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * PEM text from either PEM or standard base64 of PEM (how `machine.ca.crt` and `certs.os.crt` are stored).
 * Returns undefined when the input is neither.
 */
export function pemText(input: string | Uint8Array): string | undefined {
  const text = typeof input === "string" ? input : new TextDecoder().decode(input);
  if (text.includes("-----BEGIN ")) return text;
  const compact = text.replace(/\s+/g, "");
  if (compact === "" || compact.length % 4 !== 0 || !BASE64_RE.test(compact)) return undefined;
  const decoded = Buffer.from(compact, "base64").toString("utf8");
  return decoded.includes("-----BEGIN ") ? decoded : undefined;
}

/** Every PEM block in `text`, in order; throws SyntaxError when a block's body is not base64. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK_RE)) {
    const label = m[1] ?? "";
    const lines = (m[2] ?? "").split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
    const hasHeaders = lines.some((l) => l.includes(":"));
    const body = lines.filter((l) => !l.includes(":")).join("");
    if (body.length % 4 !== 0 || !BASE64_RE.test(body)) throw new SyntaxError(`PEM block "${label}" is not base64`);
    out.push({ label, der: new Uint8Array(Buffer.from(body, "base64")), hasHeaders });
  }
  return out;
}

/** PEM text for `der` under `label`, 64 characters per line, trailing newline (as Go's pem.Encode). */
export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  let body = "";
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + "\n";
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}
