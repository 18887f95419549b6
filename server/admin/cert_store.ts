/** @module Issuance history on disk: data_dir/certs.jsonl, 0600, append-only, reloaded (bounded) at start. */

import { dirname } from "node:path";
import { atomicWrite } from "../../shared/atomic_write.ts";
import { type Logger, nullLogger } from "../../shared/log.ts";
import { type CertRecord, parseRecord } from "./cert_record.ts";
import { readTailLines } from "../tail_lines.ts";

export interface CertStoreOptions {
  /** Usually `<data_dir>/certs.jsonl`. */
  path: string;
  /** Records kept in memory and reloaded at start (default 10,000; older ones stay only on disk until compaction). */
  maxRecords?: number;
  logger?: Logger;
  /**
   * Held around each append when other threads append to the same file (workers: N; the audit chain's lock): the
   * file's size is then read under it, so a failed write is cut back without cutting another thread's line.
   */
  lock?: AppendLock;
}

/** A lock shared by every thread appending to the file. */
export interface AppendLock {
  lock(): void;
  unlock(): void;
}

export interface CertStore {
  /** The newest `maxRecords` records found on disk at open, oldest first. */
  readonly loaded: readonly CertRecord[];
  /** Append one record (a single write of one line). Failures are logged, never thrown. */
  append(record: CertRecord): void;
  close(): void;
}

/** Bytes read from the end of the file at start: enough for maxRecords lines of ~400 bytes. */
const BYTES_PER_RECORD = 1024;

/**
 * Open (creating with 0600) the history file and load its tail. When the file holds more than
 * twice `maxRecords` lines it is compacted to the newest `maxRecords` (atomic rewrite, 0600), so
 * it cannot grow without bound across restarts.
 */
export async function openCertStore(options: CertStoreOptions): Promise<CertStore> {
  const max = options.maxRecords ?? 10_000;
  const logger = options.logger ?? nullLogger;
  if (!Number.isInteger(max) || max < 1) throw new RangeError("maxRecords must be a positive integer");
  await Deno.mkdir(dirname(options.path), { recursive: true, mode: 0o700 });
  const cut = await cutTornTail(options.path);
  if (cut > 0) logger.warn("cut a torn last line off the certificate history", { path: options.path, bytes: cut });
  const { lines, skippedBytes } = (await readTailLines(options.path, max * 2 * BYTES_PER_RECORD)) ??
    { lines: [], skippedBytes: 0 };
  const records: CertRecord[] = [];
  let bad = 0;
  for (const l of lines) {
    const r = parseRecord(l);
    if (r) records.push(r);
    else bad++;
  }
  if (bad > 0) logger.warn("skipped unreadable lines in the certificate history", { path: options.path, lines: bad });
  const loaded = records.slice(-max);
  if (records.length > 2 * max || (skippedBytes > 0 && records.length > max)) {
    await atomicWrite(options.path, loaded.map((r) => JSON.stringify(r) + "\n").join(""), { mode: 0o600 });
    logger.info("compacted the certificate history", { path: options.path, kept: loaded.length });
  }
  const file = await Deno.open(options.path, { append: true, create: true, mode: 0o600 });
  const st = await file.stat();
  if (st.mode !== null && (st.mode & 0o077) !== 0) {
    await Deno.chmod(options.path, 0o600);
    logger.warn("certificate history was readable by others; changed its mode to 0600", { path: options.path });
  }
  return { loaded, ...certAppender(file, st.size, options.path, logger, options.lock) };
}

/**
 * Append to a history file another thread opened and loaded (a serve worker, next to the owner's openCertStore), under
 * the lock they share.
 */
export async function openCertAppender(
  options: { path: string; logger?: Logger; lock: AppendLock },
): Promise<Omit<CertStore, "loaded">> {
  const file = await Deno.open(options.path, { append: true, create: true, mode: 0o600 });
  return certAppender(file, 0, options.path, options.logger ?? nullLogger, options.lock);
}

function certAppender(
  file: Deno.FsFile,
  startSize: number,
  path: string,
  logger: Logger,
  lock?: AppendLock,
): Omit<CertStore, "loaded"> {
  const enc = new TextEncoder();
  let open = true;
  let size = startSize; // bytes of whole lines: tracked alone, read from the file under a shared lock
  const append = (bytes: Uint8Array) => {
    if (lock) size = file.statSync().size;
    try {
      let off = 0;
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
      size += bytes.length;
    } catch (err) {
      // Part of the line may be on disk (a full disk): cut it, or the next record would be appended to it.
      try {
        file.truncateSync(size);
      } catch { /* a read-only file system: nothing was written either */ }
      logger.error("writing the certificate history failed", { path, error: err });
    }
  };
  return {
    append(record) {
      if (!open) return;
      const bytes = enc.encode(JSON.stringify(record) + "\n");
      if (!lock) return append(bytes);
      lock.lock();
      try {
        append(bytes);
      } finally {
        lock.unlock();
      }
    },
    close() {
      if (open) file.close();
      open = false;
    },
  };
}

/**
 * A record cut off mid-write (a crash, a full disk) is the file's last line without its newline: cut it off, or the
 * next record would be appended to it and both lost. Returns the bytes cut (0 when the file ends whole).
 */
async function cutTornTail(path: string): Promise<number> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(path, { read: true, write: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
  try {
    const size = (await f.stat()).size;
    const window = Math.min(size, 64 * 1024);
    await f.seek(size - window, Deno.SeekMode.Start);
    const buf = new Uint8Array(window);
    let off = 0;
    while (off < window) {
      const n = await f.read(buf.subarray(off));
      if (n === null) break;
      off += n;
    }
    if (window === 0 || buf[window - 1] === 0x0a) return 0;
    const keep = size - window + buf.lastIndexOf(0x0a) + 1; // 0 when no line in the window is whole
    await f.truncate(keep);
    return size - keep;
  } finally {
    f.close();
  }
}
