/** @module The audit log: one hash-chained JSON line per event, to a 0600 file (append) or stdout. */

import { basename, dirname, join } from "node:path";
import { type Logger, nullLogger, redactText } from "../../shared/log.ts";
import { chainHash, GENESIS_HASH, HEX64 } from "./chain.ts";
import { readAuditKey } from "./hmac_key.ts";
import type { AuditEvent, AuditSink } from "./types.ts";
import { readTailLines } from "../tail_lines.ts";

export {
  canonicalJson,
  chainHash,
  type ChainProblem,
  type ChainReport,
  GENESIS_HASH,
  verifyAuditChain,
} from "./chain.ts";

const TAIL_BYTES = 64 * 1024;
/** How often (at most) a write checks whether the file was rotated away under us. */
const ROTATION_CHECK_MS = 1000;

export interface AuditLogOptions {
  /** File path, or "-" (or empty) for stdout. */
  path: string;
  /** Where stdout lines go (default: process stdout). */
  stdout?: (line: string) => void;
  now?: () => Date;
  /** Reports write failures and chain anchors (never event contents). */
  logger?: Logger;
  /** A file holding the HMAC key for the chain (audit_hmac_key_file): then only its holder can rewrite the chain. */
  hmacKeyFile?: string;
}

export type TimedEvent = AuditEvent & { timestamp: string };

export interface AuditLog extends AuditSink {
  /** Hash of the last line written (the chain head). */
  lastHash(): string;
  /** Reopen the file at `path` (after rotation); the chain continues from the last hash. */
  reopen(): Promise<void>;
}

const SUCCESS = new Set(["auth_success", "cert_issued", "admin_login"]);

/**
 * Open the audit log. A file is opened append-only with mode 0600; its chain continues from the
 * hash on its last line, or, when the file is new or empty, from the last line of the newest
 * rotated sibling (`audit.log.1`, `audit.log-20260101`), else from GENESIS_HASH.
 */
export async function openAuditLog(options: AuditLogOptions): Promise<AuditLog> {
  const logger = options.logger ?? nullLogger;
  const now = options.now ?? (() => new Date());
  const toStdout = !options.path || options.path === "-";
  const enc = new TextEncoder();
  const stdout = options.stdout ?? ((line: string) => void writeAll(Deno.stdout, enc.encode(line)));
  let file: Deno.FsFile | undefined;
  let ino: number | null = null;
  let head = GENESIS_HASH;
  let checkedAt = 0;
  let failing = false;
  const listeners = new Set<(e: TimedEvent) => void>();
  const key = options.hmacKeyFile ? await readAuditKey(options.hmacKeyFile) : undefined;

  const open = async () => {
    const path = options.path;
    await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const anchor = await lastHashOf(path) ?? await lastHashOfRotated(path);
    if (anchor) head = anchor;
    file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
    const st = await file.stat();
    ino = st.ino;
    checkedAt = Date.now();
    if (st.mode !== null && (st.mode & 0o077) !== 0) {
      await Deno.chmod(path, 0o600);
      logger.warn("audit log was readable by others; changed its mode to 0600", { path });
    }
    logger.info("audit log opened", { path, prev_hash: head, chain: key ? "hmac-sha256" : "sha256" });
  };
  if (!toStdout) await open();

  const rotated = (): boolean => {
    const t = Date.now();
    if (t - checkedAt < ROTATION_CHECK_MS) return false;
    checkedAt = t;
    try {
      return Deno.statSync(options.path).ino !== ino;
    } catch {
      return true;
    }
  };

  // Lines of one tick are written together (one syscall), in a microtask: still before any
  // response of that tick reaches the network, so nothing is answered before it is recorded.
  let pending = "";
  const flush = () => {
    const text = pending;
    pending = "";
    if (!text) return;
    try {
      if (toStdout) stdout(text);
      else {
        if (rotated()) reopenSync();
        writeAll(file!, enc.encode(text));
      }
      if (failing) logger.info("audit log writable again", { path: options.path });
      failing = false;
    } catch (err) {
      if (!failing) logger.error("audit log write failed", { path: options.path, error: err });
      failing = true;
    }
  };

  const write = (event: AuditEvent) => {
    const record = toRecord(event, now());
    const unhashed = { ...record, prev_hash: head };
    const hash = chainHash(head, unhashed, key);
    const json = JSON.stringify(unhashed); // the line keeps the original field order; the hash uses sorted keys
    head = hash;
    if (!pending) queueMicrotask(flush);
    pending += `${json.slice(0, -1)},"hash":"${hash}"}\n`;
    if (listeners.size === 0) return;
    const frozen = Object.freeze(record);
    for (const l of listeners) {
      try {
        l(frozen);
      } catch (err) {
        logger.error("audit listener failed", { error: err });
      }
    }
  };

  const reopenSync = () => {
    file?.close();
    file = Deno.openSync(options.path, { append: true, create: true, mode: 0o600 });
    ino = file.statSync().ino;
    logger.info("audit log reopened after rotation", { path: options.path, prev_hash: head });
  };

  return {
    write,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    lastHash: () => head,
    async reopen() {
      if (toStdout) return;
      flush();
      file?.close();
      file = undefined;
      file = await Deno.open(options.path, { append: true, create: true, mode: 0o600 });
      ino = (await file.stat()).ino;
    },
    close() {
      flush();
      file?.close();
      file = undefined;
      listeners.clear();
      return Promise.resolve();
    },
  };
}

/** Free-text fields: redacted in case a token or key slipped into an error message. Claims are copied as they are. */
const FREE_TEXT = new Set(["error", "reason", "detail"]);

/** The line's fields in the original tool's order, with ECS-style outcome fields; free text redacted. */
function toRecord(event: AuditEvent, now: Date): TimedEvent {
  const ok = SUCCESS.has(event.type);
  const rec: Record<string, unknown> = {
    timestamp: event.timestamp ?? now.toISOString(),
    type: event.type,
    severity: ok ? "INFO" : "WARN",
    "event.category": "authentication",
    "event.outcome": ok ? "success" : "failure",
    "event.action": "token-exchange",
  };
  for (const [k, v] of Object.entries(event)) {
    if (v === undefined || k in rec) continue;
    rec[k] = FREE_TEXT.has(k) && typeof v === "string" ? redactText(v) : v;
  }
  return rec as unknown as TimedEvent;
}

/** The `hash` on the last line of a file, or undefined when missing, empty or unchained. */
async function lastHashOf(path: string): Promise<string | undefined> {
  try {
    const last = (await readTailLines(path, TAIL_BYTES))?.lines.at(-1);
    if (!last) return undefined;
    const hash = (JSON.parse(last) as { hash?: unknown }).hash;
    return typeof hash === "string" && HEX64.test(hash) ? hash : undefined;
  } catch {
    return undefined;
  }
}

/** Last hash of the newest uncompressed rotated sibling (`<name>.1`, `<name>-20260101`, ...). */
async function lastHashOfRotated(path: string): Promise<string | undefined> {
  const dir = dirname(path), base = basename(path);
  const candidates: { p: string; mtime: number }[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || e.name === base || !/^[.-]/.test(e.name.slice(base.length))) continue;
      if (!e.name.startsWith(base) || /\.(gz|bz2|xz|zst)$/.test(e.name)) continue;
      const st = await Deno.stat(join(dir, e.name));
      candidates.push({ p: join(dir, e.name), mtime: st.mtime?.getTime() ?? 0 });
    }
  } catch {
    return undefined;
  }
  candidates.sort((a, b) => b.mtime - a.mtime);
  return candidates[0] ? await lastHashOf(candidates[0].p) : undefined;
}

function writeAll(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += w.writeSync(bytes.subarray(off));
}
