/** @module The hash-chained audit log (0600 file or stdout); fails closed: committed() rejects when a write failed. */

import { dirname } from "node:path";
import { TalosOidcError } from "../../shared/errors.ts";
import { type Logger, nullLogger } from "../../shared/log.ts";
import { lastHashOf, lastHashOfRotated, repairTornTail, type TornTail } from "./audit_file.ts";
import { chainHash, GENESIS_HASH } from "./chain.ts";
import { readAuditKey } from "./hmac_key.ts";
import { type ChainState, localChain } from "./shared_chain.ts";
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
  /**
   * The chain head shared with the process's other threads (workers: N): each thread appends through its own
   * file handle under the chain's lock. Default: this log's alone.
   */
  chain?: ChainState;
  /**
   * Join a chain another thread opened (a serve worker): no repair or anchor at open, and no gap of its own. When a
   * write fails the bytes it left are cut, the chain is marked unwritable, committed() rejects with ERR_AUDIT and the
   * records go to this callback (the owner thread writes or counts them; it owns the gap line and the retries).
   */
  onWriteFailed?: (records: TimedEvent[], err: unknown) => void;
}

export type { TimedEvent };

export interface AuditLog extends AuditSink {
  /** Hash of the last line written (the chain head). */
  lastHash(): string;
  /** Reopen the file at `path` (after rotation); the chain continues from the last hash. */
  reopen(): Promise<void>;
  /** Lines another thread wrote to this chain: this log's listeners hear of them as of its own. */
  announce(records: readonly TimedEvent[]): void;
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
  // The head, the file's whole-line size and whether bytes past it must be cut: this thread's, or shared by every
  // thread of the process, each appending through its own handle under the chain's lock.
  const chain = options.chain ?? localChain();
  const joining = options.onWriteFailed !== undefined;
  let generation = chain.generation; // the file this thread's handle is on (moves on reopen by any thread)
  let checkedAt = 0;
  let gap: Gap | undefined;
  let retryTimer: ReturnType<typeof setInterval> | undefined;
  const listeners = new Set<(e: TimedEvent) => void>();
  const key = options.hmacKeyFile ? await readAuditKey(options.hmacKeyFile) : undefined;

  const line = (unhashed: Record<string, unknown>, hash: string) =>
    `${JSON.stringify(unhashed).slice(0, -1)},"hash":"${hash}"}\n`;

  const notify = (records: readonly TimedEvent[]) => {
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
  /** Under the lock: this thread's handle onto the file at `path` now; `moved` when this thread saw the rotation. */
  const reopenSync = (moved: boolean) => {
    file?.close();
    file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
    const st = file.statSync();
    ino = st.ino;
    if (moved) {
      [chain.size, chain.dirty] = [st.size, false];
      chain.generation = chain.generation + 1;
      logger.info("audit log reopened after rotation", { path, prev_hash: chain.head });
    }
    generation = chain.generation;
  };

  /** Under the lock: write whole lines, or throw having cut off whatever part of them reached the file. */
  const put = (text: string) => {
    if (toStdout) return stdout(text);
    if (generation !== chain.generation) reopenSync(false); // another thread followed a rotation
    else if (rotated()) reopenSync(true);
    if (chain.dirty) file!.truncateSync(chain.size);
    chain.dirty = true;
    const bytes = enc.encode(text);
    try {
      writeAll(file!, bytes);
    } catch (err) {
      tryCut();
      throw err;
    }
    chain.dirty = false;
    chain.size += bytes.length;
  };
  /** Cut the file back to its whole lines; false while even that fails (a read-only mount). */
  const tryCut = (): boolean => {
    try {
      file!.truncateSync(chain.size);
      return !(chain.dirty = false);
    } catch {
      return false;
    }
  };
  /** Under the lock: chain `records` onto the head and write them; the new head, or what the write threw. */
  const append = (records: readonly TimedEvent[]): { hash: string } | { error: unknown } => {
    let hash = chain.head, text = "";
    for (const r of records) {
      const unhashed = { ...r, prev_hash: hash };
      hash = chainHash(hash, unhashed, key);
      text += line(unhashed, hash); // the line keeps the original field order; the hash uses sorted keys
    }
    try {
      put(text);
    } catch (error) {
      return { error };
    }
    chain.head = hash;
    return { hash };
  };
  const locked = <T>(f: () => T): T => {
    chain.lock();
    try {
      return f();
    } finally {
      chain.unlock();
    }
  };

  const auditError = (g: Gap) =>
    new TalosOidcError("ERR_AUDIT", `writing the audit log "${path || "-"}" failed: ${g.error}`, {
      hint: "free space on the audit log's file system or make it writable again; the server recovers by itself",
      fields: { retryAfterSeconds: AUDIT_RETRY_AFTER_SECONDS },
    });

  const fail = (err: unknown, records: readonly TimedEvent[]): Gap => {
    chain.healthy = false;
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
    const record = Object.freeze(toRecord(gapEvent(g), now()));
    const result = locked(() => append([record]));
    if ("error" in result) return void (g.error = errorText(result.error));
    chain.healthy = true;
    gap = undefined;
    clearInterval(retryTimer);
    retryTimer = undefined;
    logger.info("audit log writable again", { path: path || "-", not_recorded: g.total, since: g.since });
    notify([record]);
  };

  // Lines of one tick are chained and written together (one syscall), in a microtask: still before any response of
  // that tick reaches the network. Whoever must not answer before its line is in the file awaits committed().
  let pending: TimedEvent[] = [];
  let waiters: Waiter[] = [];
  const flush = () => {
    const [records, batch] = [pending, waiters];
    [pending, waiters] = [[], []];
    if (records.length === 0) return;
    const result = locked(() => append(records));
    if ("error" in result) {
      const err = joining ? joinedFailure(result.error, records) : auditError(fail(result.error, records));
      for (const w of batch) w.reject(err);
      return;
    }
    if (!joining) chain.healthy = true;
    for (const w of batch) w.resolve();
    notify(records);
  };
  /** A joined thread's failed write: the chain is marked unwritable and the owner gets the records. */
  const joinedFailure = (err: unknown, records: TimedEvent[]) => {
    chain.healthy = false;
    options.onWriteFailed!(records, err);
    return auditError({ since: now(), error: errorText(err), total: records.length, counts: {} });
  };

  const write = (event: AuditEvent) => {
    if (gap) return countMissed(gap, event.type);
    if (pending.length === 0) queueMicrotask(flush);
    pending.push(Object.freeze(toRecord(event, now())));
  };

  const open = async () => {
    await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const torn = await repairTornTail(path, now);
    chain.head = await lastHashOf(path) ?? await lastHashOfRotated(path) ?? GENESIS_HASH;
    file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
    const st = await file.stat();
    [ino, chain.size, checkedAt] = [st.ino, st.size, Date.now()];
    if (st.mode !== null && (st.mode & 0o077) !== 0) {
      await Deno.chmod(path, 0o600);
      logger.warn("audit log was readable by others; changed its mode to 0600", { path });
    }
    logger.info("audit log opened", { path, prev_hash: chain.head, chain: key ? "hmac-sha256" : "sha256" });
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
  /** A joining thread: its own handle on the file the owner opened (the chain's state is the owner's). */
  const join = async () => {
    file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
    [ino, checkedAt, generation] = [(await file.stat()).ino, Date.now(), chain.generation];
  };
  if (!toStdout) await (joining ? join() : open());
  else if (!joining) chain.head = GENESIS_HASH;

  return {
    write,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    committed() {
      if (pending.length > 0) return new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
      return gap ? Promise.reject(auditError(gap)) : Promise.resolve();
    },
    health(): AuditHealth {
      return gap
        ? { writable: false, since: gap.since.toISOString(), error: gap.error, notRecorded: gap.total }
        : { writable: true };
    },
    lastHash: () => (flush(), locked(() => chain.head)),
    reopen() {
      if (toStdout) return Promise.resolve();
      flush();
      locked(() => reopenSync(true));
      return Promise.resolve();
    },
    announce: notify,
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
