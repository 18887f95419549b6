/** @module The hash-chained audit log (0600 file or stdout); fails closed: committed() rejects when a write failed. */

import { dirname } from "node:path";
import { TalosOidcError } from "../../shared/errors.ts";
import { type Logger, nullLogger } from "../../shared/log.ts";
import { lastHashOf, lastHashOfRotated, repairTornTail, type TornTail } from "./audit_file.ts";
import { GENESIS_HASH } from "./chain.ts";
import { readAuditKey } from "./hmac_key.ts";
import { chainFile } from "./chain_file.ts";
import { type ChainState, localChain } from "./shared_chain.ts";
import { countMissed, errorText, type Gap, gapEvent, type TimedEvent, toRecord } from "./audit_record.ts";
import type { AuditEvent, AuditHealth, AuditSink } from "./types.ts";

export {
  canonicalJson,
  chainHash,
  type ChainProblem,
  type ChainReport,
  GENESIS_HASH,
  verifyAuditChain,
} from "./chain.ts";

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
  /** The key itself, as another thread of the process read it from hmacKeyFile (it wins over the file). */
  hmacKey?: Uint8Array;
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
  /**
   * Events another thread could not write (`types`, and the error it met): this log goes into its gap as if its own
   * write had failed, and its `audit_gap` line counts them.
   */
  missed(types: readonly string[], error: string): void;
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
  // The head, the file's whole-line size and whether bytes past it must be cut: this thread's, or shared by every
  // thread of the process, each appending through its own handle under the chain's lock.
  const chain = options.chain ?? localChain();
  const joining = options.onWriteFailed !== undefined;
  let gap: Gap | undefined;
  let retryTimer: ReturnType<typeof setInterval> | undefined;
  const listeners = new Set<(e: TimedEvent) => void>();
  let shut = false;
  const key = options.hmacKey ?? (options.hmacKeyFile ? await readAuditKey(options.hmacKeyFile) : undefined);
  const file = chainFile({
    path,
    chain,
    logger,
    ...(key ? { key } : {}),
    ...(options.stdout ? { stdout: options.stdout } : {}),
  });
  const { append, locked } = file;

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

  const auditError = (g: Gap) =>
    new TalosOidcError("ERR_AUDIT", `writing the audit log "${path || "-"}" failed: ${g.error}`, {
      hint: "free space on the audit log's file system or make it writable again; the server recovers by itself",
      fields: { retryAfterSeconds: AUDIT_RETRY_AFTER_SECONDS },
    });

  const fail = (err: unknown, types: readonly string[]): Gap => {
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
    for (const t of types) countMissed(gap, t);
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
      const err = joining
        ? joinedFailure(result.error, records)
        : auditError(fail(result.error, records.map((r) => r.type)));
      for (const w of batch) w.reject(err);
      return;
    }
    if (!joining) chain.healthy = true;
    for (const w of batch) w.resolve();
    notify(records);
  };
  /** A joined thread's failed write: the chain is marked unwritable and the owner gets the records. */
  const joinedFailure = (err: unknown, records: TimedEvent[]) => {
    if (!shut) chain.healthy = false; // a write after close() says nothing about the file
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
    const st = (await file.open())!;
    [chain.ino, chain.size] = [st.ino ?? 0, st.size];
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
  if (!toStdout) await (joining ? file.open() : open());
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
      locked(() => file.reopen());
      return Promise.resolve();
    },
    announce: notify,
    missed: (types, error) => void fail(error, types),
    close() {
      flush();
      shut = true;
      if (gap) retry();
      if (gap) {
        logger.error("audit log closed while it could not be written", { path: path || "-", not_recorded: gap.total });
      }
      clearInterval(retryTimer);
      file.close();
      listeners.clear();
      return Promise.resolve();
    },
  };
}
