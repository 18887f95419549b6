/**
 * @module Response heads as bytes: the status line with its reason phrase, the Date header (formatted once a second),
 * and head and body in one buffer, so that each answer leaves in one write (two writes on a TLS connection wait for
 * the client's delayed ACK: bench/REPORT.md, scale_bench).
 */

const REASONS: Record<number, string> = {
  100: "Continue",
  101: "Switching Protocols",
  103: "Early Hints",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  204: "No Content",
  205: "Reset Content",
  206: "Partial Content",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Payload Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  421: "Misdirected Request",
  422: "Unprocessable Entity",
  425: "Too Early",
  426: "Upgrade Required",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  451: "Unavailable For Legal Reasons",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

const enc = new TextEncoder();
let dateSecond = 0, dateText = "";

/** `HTTP/1.1 <status> <reason>` and the Date header, each line ending in CRLF. */
export function statusLines(status: number): string {
  const now = Date.now(), second = Math.floor(now / 1000);
  if (second !== dateSecond) dateSecond = second, dateText = new Date(now).toUTCString();
  return `HTTP/1.1 ${status} ${REASONS[status] ?? "Unknown"}\r\ndate: ${dateText}\r\n`;
}

/** One header line; a value with CR or LF (a response splitting attempt) is a bug in the caller: refused. */
export function headerLine(name: string, value: string): string {
  if (value.includes("\n") || value.includes("\r")) throw new TypeError(`header ${name}: CR or LF in its value`);
  return `${name}: ${value}\r\n`;
}

/** `head` (ending in its blank line) and `body`, in one buffer. */
export function joinAnswer(head: string, body: Uint8Array | string): Uint8Array {
  const bodyBytes = typeof body === "string" ? enc.encode(body) : body;
  const out = new Uint8Array(head.length * 3 + bodyBytes.byteLength);
  const { written } = enc.encodeInto(head, out);
  out.set(bodyBytes, written);
  return out.subarray(0, written + bodyBytes.byteLength);
}

/** A whole answer the listener writes itself (400, 408, 413, 431...): JSON with a code, then the connection closes. */
export function closingAnswer(status: number, error: string, code: string): Uint8Array {
  const body = enc.encode(JSON.stringify({ error, code }));
  const head = `${statusLines(status)}content-type: application/json\r\ncontent-length: ${body.byteLength}\r\n`;
  return joinAnswer(`${head}connection: close\r\n\r\n`, body);
}

/** No body may follow these statuses (RFC 9110 §6.4.1). */
export function bodyless(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}
