/** @module The hash-chained audit log (0600 file or stdout); fails closed: committed() rejects when a write failed. */

import { dirname } from "node:path";
import { TalosOidcError } from "../../shared/errors.ts";
import { type Logger, nullLogger } from "../../shared/log.ts";
import { lastHashOf, lastHashOfRotated, repairTornTail, type TornTail } from "./audit_file.ts";
import { chainHash, GENESIS_HASH } from "./chain.ts";
import { readAuditKey } from "./hmac_key.ts";
import { countMissed, errorText, type Gap, gapEvent, type TimedEvent, toRecord, writeAll } from "./audit_record.ts";
import type { AuditEvent, AuditHealth, AuditSink } from "./types.ts";

export {
  canonicalJson,
  chainHash,
  type ChainProblem,
  type ChainReport,
  GENESIS_HASH,
  verifyAuditChain,
} from "./chain.ts";

/** How often (at most) a write checks whether the file was rotated away under us. */
const ROTATION_CHECK_MS = 1000;
/** While writes fail, how often the log tries again (it recovers by itself once space or the mount returns). */
const RETRY_MS = 250;
/** Seconds a refused client is asked to wait while the audit log cannot be written. */
const AUDIT_RETRY_AFTER_SECONDS = 30;

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
  /** While writes fail, how often to try again (default 250 ms; tests use a few). */
  retryMs?: number;
}

export type { TimedEvent };

export interface AuditLog extends AuditSink {
  /** Hash of the last line written (the chain head). */
  lastHash(): string;
  /** Reopen the file at `path` (after rotation); the chain continues from the last hash. */
  reopen(): Promise<void>;
}

type Waiter = { resolve(): void; reject(err: unknown): void };

/**
 * Open the audit log. A file is opened append-only with mode 0600; a torn last line is moved aside first
 * (audit_file.ts). Its chain continues from the hash on its last line, or, when the file is new or empty, from the
 * last line of the newest rotated sibling (`audit.log.1`, `audit.log-20260101`), else from GENESIS_HASH.
 *
 * When a write fails (disk full, read-only mount, closed stdout) the bytes it left are cut off, the chain head goes
 * back to the last line on disk, committed() rejects with ERR_AUDIT and health() says why. Until a retry succeeds,
 * events are counted, not written; the retry writes one `audit_gap` line with those counts, so the chain stays
 * unbroken across the gap and says what it does not hold.
 */
export async function openAuditLog(options: AuditLogOptions): Promise<AuditLog> {
  const logger = options.logger ?? nullLogger;
  const now = options.now ?? (() => new Date());
  const path = options.path;
  const toStdout = !path || path === "-";
  const enc = new TextEncoder();
  const stdout = options.stdout ?? ((line: string) => writeAll(Deno.stdout, enc.encode(line)));
  let file: Deno.FsFile | undefined;
  let ino: number | null = null;
  let head = GENESIS_HASH; // the hash of the last line written or queued
  let committedHead = head; // the hash of the last line known to be in the file
  let size = 0; // bytes of whole lines in the file
  let dirty = false; // bytes past `size` may be on disk (a write failed midway): cut before the next write
  let checkedAt = 0;
  let gap: Gap | undefined;
  let retryTimer: ReturnType<typeof setInterval> | undefined;
  const listeners = new Set<(e: TimedEvent) => void>();
  const key = options.hmacKeyFile ? await readAuditKey(options.hmacKeyFile) : undefined;

  const line = (unhashed: Record<string, unknown>, hash: string) =>
    `${JSON.stringify(unhashed).slice(0, -1)},"hash":"${hash}"}\n`;

  const notify = (records: TimedEvent[]) => {
    if (listeners.size === 0) return;
    for (const rec of records) {
      for (const l of listeners) {
        try {
          l(rec);
        } catch (err) {
          logger.error("audit listener failed", { error: err });
        }
      }
    }
  };

  const rotated = (): boolean => {
    const t = Date.now();
    if (t - checkedAt < ROTATION_CHECK_MS) return false;
    checkedAt = t;
    try {
      return Deno.statSync(path).ino !== ino;
    } catch {
      return true;
    }
  };
  const reopenSync = () => {
    file?.close();
    file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
    const st = file.statSync();
    [ino, size, dirty] = [st.ino, st.size, false];
    logger.info("audit log reopened after rotation", { path, prev_hash: committedHead });
  };

  /** Write whole lines, or throw having cut off whatever part of them reached the file. */
  const put = (text: string) => {
    if (toStdout) return stdout(text);
    if (rotated()) reopenSync();
    if (dirty) file!.truncateSync(size);
    dirty = true;
    const bytes = enc.encode(text);
    try {
      writeAll(file!, bytes);
    } catch (err) {
      tryCut();
      throw err;
    }
    dirty = false;
    size += bytes.length;
  };
  /** Cut the file back to its whole lines; false while even that fails (a read-only mount). */
  const tryCut = (): boolean => {
    try {
      file!.truncateSync(size);
      return !(dirty = false);
    } catch {
      return false;
    }
  };

  const auditError = (g: Gap) =>
    new TalosOidcError("ERR_AUDIT", `writing the audit log "${path || "-"}" failed: ${g.error}`, {
      hint: "free space on the audit log's file system or make it writable again; the server recovers by itself",
      fields: { retryAfterSeconds: AUDIT_RETRY_AFTER_SECONDS },
    });

  const fail = (err: unknown, records: TimedEvent[]): Gap => {
    head = committedHead;
    if (!gap) {
      gap = { since: now(), error: errorText(err), total: 0, counts: {} };
      logger.error("audit log write failed; /exchange refuses every request until it can write again", {
        path: path || "-",
        error: err,
      });
      retryTimer = setInterval(retry, options.retryMs ?? RETRY_MS);
      Deno.unrefTimer(retryTimer);
    }
    for (const r of records) countMissed(gap, r.type);
    return gap;
  };

  /** Try to write the gap line; on success the log is healthy again. */
  const retry = () => {
    const g = gap;
    if (!g) return;
    const record = toRecord(gapEvent(g), now());
    const unhashed = { ...record, prev_hash: committedHead };
    const hash = chainHash(committedHead, unhashed, key);
    try {
      put(line(unhashed, hash));
    } catch (err) {
      return void (g.error = errorText(err));
    }
    head = committedHead = hash;
    gap = undefined;
    clearInterval(retryTimer);
    retryTimer = undefined;
    logger.info("audit log writable again", { path: path || "-", not_recorded: g.total, since: g.since });
    notify([record]);
  };

  // Lines of one tick are written together (one syscall), in a microtask: still before any response of that tick
  // reaches the network. Whoever must not answer before its line is in the file awaits committed().
  let pending = "";
  let pendingRecords: TimedEvent[] = [];
  let waiters: Waiter[] = [];
  const flush = () => {
    const [text, records, batch] = [pending, pendingRecords, waiters];
    [pending, pendingRecords, waiters] = ["", [], []];
    if (!text) return;
    try {
      put(text);
    } catch (err) {
      const err2 = auditError(fail(err, records));
      for (const w of batch) w.reject(err2);
      return;
    }
    committedHead = head;
    for (const w of batch) w.resolve();
    notify(records);
  };

  const write = (event: AuditEvent) => {
    if (gap) return countMissed(gap, event.type);
    const record = toRecord(event, now());
    const unhashed = { ...record, prev_hash: head };
    const hash = chainHash(head, unhashed, key);
    head = hash;
    if (!pending) queueMicrotask(flush);
    pending += line(unhashed, hash); // the line keeps the original field order; the hash uses sorted keys
    pendingRecords.push(Object.freeze(record));
  };

  const open = async () => {
    await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const torn = await repairTornTail(path, now);
    const anchor = await lastHashOf(path) ?? await lastHashOfRotated(path);
    if (anchor) head = committedHead = anchor;
    file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
    const st = await file.stat();
    [ino, size, checkedAt] = [st.ino, st.size, Date.now()];
    if (st.mode !== null && (st.mode & 0o077) !== 0) {
      await Deno.chmod(path, 0o600);
      logger.warn("audit log was readable by others; changed its mode to 0600", { path });
    }
    logger.info("audit log opened", { path, prev_hash: head, chain: key ? "hmac-sha256" : "sha256" });
    if (torn) reportTorn(torn);
  };
  const reportTorn = (torn: TornTail) => {
    logger.error("audit log ended in a torn line; moved it aside, the chain continues from the last whole line", {
      path,
      kept_in: torn.keptIn,
      bytes: torn.bytes,
    });
    write({
      type: "audit_repaired",
      reason: "torn_last_line",
      error: `the last line was cut off mid-write: its ${torn.bytes} bytes were moved to ${torn.keptIn}`,
    });
  };
  if (!toStdout) await open();

  return {
    write,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    committed() {
      if (pending) return new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
      return gap ? Promise.reject(auditError(gap)) : Promise.resolve();
    },
    health(): AuditHealth {
      return gap
        ? { writable: false, since: gap.since.toISOString(), error: gap.error, notRecorded: gap.total }
        : { writable: true };
    },
    lastHash: () => head,
    async reopen() {
      if (toStdout) return;
      flush();
      file?.close();
      file = undefined;
      file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
      const st = await file.stat();
      [ino, size, dirty] = [st.ino, st.size, false];
    },
    close() {
      flush();
      if (gap) retry();
      if (gap) {
        logger.error("audit log closed while it could not be written", { path: path || "-", not_recorded: gap.total });
      }
      clearInterval(retryTimer);
      file?.close();
      file = undefined;
      listeners.clear();
      return Promise.resolve();
    },
  };
}
