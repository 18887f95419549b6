/** @module Loggers that redact secrets at the sink: JSON lines for the server, plain text for the CLI. */

export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Field names whose values never reach a log. */
const SECRET_KEYS = new Set([
  "id_token",
  "refresh_token",
  "access_token",
  "token",
  "key",
  "private_key",
  "client_secret",
  "admin_token",
  "metrics_token",
  "authorization",
  "cookie",
  "set-cookie",
  "code",
  "code_verifier",
  "password",
]);

/** Anything shaped like a JWT, a PEM private key, or a bearer credential. */
const SECRET_PATTERNS: RegExp[] = [
  /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g,
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi,
];

const MAY_HOLD_SECRET = /eyJ|PRIVATE KEY|bearer/i;

/** Redact secret-looking substrings in free text. */
export function redactText(text: string): string {
  // Every pattern needs one of these literals: most log text has none, and then three replaces are saved per string.
  if (!MAY_HOLD_SECRET.test(text)) return text;
  let out = text;
  for (const re of SECRET_PATTERNS) {
    out = out.replace(re, (_m, p1) => (typeof p1 === "string" && /^Bearer/i.test(p1) ? `${p1}***` : "***"));
  }
  return out;
}

/** Deep-copy `value` with secret fields and secret-looking strings replaced by ***. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "…";
  if (typeof value === "string") return redactText(value);
  if (value instanceof Error) return redactText(`${value.name}: ${value.message}`);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
      return redact((value as { toJSON(): unknown }).toJSON(), depth + 1);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEYS.has(k.toLowerCase()) ? "***" : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  /** Lowest level written (default info). */
  level?: Level;
  /** Where lines go (default stderr). */
  write?: (line: string) => void;
  /** Clock (tests inject one). */
  now?: () => Date;
  /** Fields added to every line. */
  base?: Record<string, unknown>;
}

/** Server logger: one JSON object per line (`ts`, `level`, `msg`, fields), redacted. */
export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? "info"];
  const write = options.write ?? writeStderr;
  const now = options.now ?? (() => new Date());
  const emit = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const rec = {
      ts: now().toISOString(),
      level,
      msg: redactText(msg),
      ...options.base,
      ...(redact(fields ?? {}) as object),
    };
    write(JSON.stringify(rec));
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** CLI logger: plain `level: msg` lines on stderr; debug only when verbose. */
export function textLogger(options: { verbose?: boolean; write?: (line: string) => void } = {}): Logger {
  const write = options.write ?? writeStderr;
  const emit = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (level === "debug" && !options.verbose) return;
    const extra = fields && Object.keys(fields).length > 0 ? " " + JSON.stringify(redact(fields)) : "";
    write(`${level === "info" ? "" : `${level}: `}${redactText(msg)}${extra}`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/**
 * A logger that holds its lines: `replay` sends them to another logger in order, or they are dropped with it. For
 * an attempt whose lines only count when it succeeds (kube token's read of the cache without the lock).
 */
export function heldLogger(): Logger & { replay(to: Logger): void } {
  const held: [Level, string, Record<string, unknown> | undefined][] = [];
  const hold = (level: Level) => (msg: string, fields?: Record<string, unknown>) =>
    void held.push([level, msg, fields]);
  return {
    debug: hold("debug"),
    info: hold("info"),
    warn: hold("warn"),
    error: hold("error"),
    replay: (to) => held.splice(0).forEach(([level, msg, fields]) => to[level](msg, fields)),
  };
}

/** A logger that drops everything (for tests that do not look at logs). */
export const nullLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const enc = new TextEncoder();
function writeStderr(line: string): void {
  Deno.stderr.writeSync(enc.encode(line + "\n"));
}
