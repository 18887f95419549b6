/**
 * @module Request heads parsed strictly (RFC 9112), so that no front proxy and this server can disagree on where a
 * request ends (request smuggling): one framing only (Content-Length or exactly `chunked`, never both, never twice),
 * CRLF line ends only (no bare CR or LF), no obs-fold, no control bytes, token method and header names, origin-form
 * targets, HTTP/1.0 or 1.1, one Host. Anything else is a HeadError: answered with its status and the connection closed.
 */

/** The most bytes a request head may have (node's default max header size); more is 431. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** The most header fields a request may have; more is 431. */
export const MAX_HEADERS = 100;

/** A head this server refuses: `status` (400, 417, 431, 505) is answered, then the connection is closed. */
export class HeadError extends Error {
  override readonly name = "HeadError";
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface RequestHead {
  method: string;
  /** Origin-form: the path and query, starting with "/". */
  target: string;
  http10: boolean;
  /** Names and values as sent, flattened (name, value, name, value...), values without surrounding whitespace. */
  headers: string[];
  host: string | undefined;
  /** The body's framing: the Content-Length (0 without one), or "chunked". */
  length: number | "chunked";
  /** The client asked to keep the connection open (HTTP/1.1 unless `Connection: close`; 1.0 with `keep-alive`). */
  keepAlive: boolean;
  /** `Expect: 100-continue`: the body follows only once the server says so. */
  expectContinue: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\/[\x21-\x7e]*) HTTP\/(\d)\.(\d)$/;
const ascii = new TextDecoder();

/**
 * Where the head that starts at `from` ends (just past its blank line), or -1 when `bytes[from, to)` holds no whole
 * head yet. `scanFrom` skips what an earlier call already searched.
 */
export function headEnd(bytes: Uint8Array, from: number, to: number, scanFrom = from): number {
  // A plain loop: Uint8Array.prototype.indexOf per line end cost ~7 % of a request's CPU in a profile.
  for (let i = Math.max(from + 3, scanFrom); i < to; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) return i + 1;
  }
  return -1;
}

/** The head in `bytes` (request line to blank line, CRLF CRLF included), checked; a HeadError when refused. */
export function parseHead(bytes: Uint8Array): RequestHead {
  const text = decode(bytes);
  const lines = text.split("\r\n");
  const line = REQUEST_LINE.exec(lines[0]!);
  if (!line) throw new HeadError(400, "malformed request line");
  if (line[3] !== "1" || (line[4] !== "0" && line[4] !== "1")) {
    throw new HeadError(505, `HTTP/${line[3]}.${line[4]} is not supported`);
  }
  const http10 = line[4] === "0";
  const headers: string[] = [];
  let length: number | "chunked" | undefined, host: string | undefined;
  let close = false, keepAlive = false, expectContinue = false, sawHost = false;
  const last = lines.length - 2; // the head ends with CRLF CRLF: the last two items are empty
  if (last - 1 > MAX_HEADERS) throw new HeadError(431, `more than ${MAX_HEADERS} header fields`);
  for (let i = 1; i < last; i++) {
    const l = lines[i]!;
    if (l.charCodeAt(0) === 32 || l.charCodeAt(0) === 9) throw new HeadError(400, "obs-fold header line");
    const colon = l.indexOf(":");
    if (colon <= 0) throw new HeadError(400, "malformed header line");
    const name = l.slice(0, colon);
    if (!TOKEN.test(name)) throw new HeadError(400, "invalid header name");
    const value = trimOws(l, colon + 1);
    headers.push(name, value);
    switch (name.length) {
      case 4:
        if (name.toLowerCase() !== "host") break;
        if (sawHost) throw new HeadError(400, "more than one Host header");
        sawHost = true;
        host = value;
        break;
      case 6:
        if (name.toLowerCase() !== "expect") break;
        if (value.toLowerCase() !== "100-continue") throw new HeadError(417, "Expect other than 100-continue");
        expectContinue = !http10; // never a 100 to an HTTP/1.0 client (RFC 9110 §10.1.1): it sends its body anyway
        break;
      case 10:
        if (name.toLowerCase() !== "connection") break;
        for (const t of value.toLowerCase().split(",")) {
          const token = t.trim();
          if (token === "close") close = true;
          else if (token === "keep-alive") keepAlive = true;
        }
        break;
      case 14:
        if (name.toLowerCase() !== "content-length") break;
        if (length !== undefined) throw new HeadError(400, "more than one body length (Content-Length)");
        if (!/^\d{1,15}$/.test(value)) throw new HeadError(400, "invalid Content-Length");
        length = Number(value);
        break;
      case 17:
        if (name.toLowerCase() !== "transfer-encoding") break;
        if (length !== undefined) throw new HeadError(400, "more than one body length (Transfer-Encoding)");
        if (value.toLowerCase() !== "chunked") throw new HeadError(400, "Transfer-Encoding other than chunked");
        if (http10) throw new HeadError(400, "Transfer-Encoding in an HTTP/1.0 request");
        length = "chunked";
        break;
    }
  }
  if (!http10 && !sawHost) throw new HeadError(400, "no Host header");
  return {
    method: line[1]!,
    target: line[2]!,
    http10,
    headers,
    host,
    length: length ?? 0,
    keepAlive: http10 ? keepAlive && !close : !close,
    expectContinue,
  };
}

/**
 * The head as text, one character per byte; refused when a CR is not followed by LF, an LF not preceded by CR, or a
 * control byte other than HTAB appears.
 */
function decode(bytes: Uint8Array): string {
  let high = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= 32) {
      if (b === 127) throw new HeadError(400, "control character in the head");
      if (b > 127) high = true;
    } else if (b === 13) {
      if (bytes[i + 1] !== 10) throw new HeadError(400, "bare CR in the head");
    } else if (b === 10) {
      if (bytes[i - 1] !== 13) throw new HeadError(400, "bare LF in the head");
    } else if (b !== 9) throw new HeadError(400, "control character in the head");
  }
  if (!high) return ascii.decode(bytes);
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return out;
}

/** `s` from `from`, without leading and trailing spaces and tabs. */
function trimOws(s: string, from: number): string {
  let a = from, b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return s.slice(a, b);
}
