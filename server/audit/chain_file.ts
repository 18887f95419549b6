/**
 * @module One thread's handle on the audit chain's file (or stdout): chain records onto the head and append them as
 * one write, under the chain's lock, cutting off whatever part of a failed write reached the file; follow the chain to
 * the file at the path when it was rotated, whichever thread saw it first (audit/shared_chain.ts).
 */

import type { Logger } from "../../shared/log.ts";
import { type TimedEvent, writeAll } from "./audit_record.ts";
import { chainHash } from "./chain.ts";
import type { ChainState } from "./shared_chain.ts";

/** How often (at most) a write checks whether the file was rotated away under us. */
const ROTATION_CHECK_MS = 1000;

export interface ChainFileOptions {
  /** File path, or "-" (or empty) for stdout. */
  path: string;
  chain: ChainState;
  logger: Logger;
  key?: Uint8Array;
  /** Where stdout lines go (default: process stdout). */
  stdout?: (line: string) => void;
}

export interface ChainFile {
  /** Open this thread's handle (append-only, 0600); the file's status as opened. */
  open(): Promise<Deno.FileInfo | undefined>;
  /** Under the lock: chain `records` onto the head and write them; the new head, or what the write threw. */
  append(records: readonly TimedEvent[]): { hash: string } | { error: unknown };
  /** Under the lock: reopen at the path (a rotation this thread was told of); the other threads follow. */
  reopen(): void;
  /** The handle is closed: appends fail from now on, touching nothing shared. */
  /** Run `f` holding the chain's lock. */
  locked<T>(f: () => T): T;
  /** Close the handle: appends fail from then on without touching the shared state. */
  close(): void;
}

export function chainFile(o: ChainFileOptions): ChainFile {
  const { path, chain, logger, key } = o;
  const toStdout = !path || path === "-";
  const enc = new TextEncoder();
  const stdout = o.stdout ?? ((line: string) => writeAll(Deno.stdout, enc.encode(line)));
  let file: Deno.FsFile | undefined;
  let ino = 0; // the file this thread's handle is on (its inode; 0 where the platform has none)
  let checkedAt = 0;
  let closed = false;

  const line = (unhashed: Record<string, unknown>, hash: string) =>
    `${JSON.stringify(unhashed).slice(0, -1)},"hash":"${hash}"}\n`;
  const rotated = (): boolean => {
    const t = Date.now();
    if (t - checkedAt < ROTATION_CHECK_MS) return false;
    checkedAt = t;
    try {
      return (Deno.statSync(path).ino ?? 0) !== ino;
    } catch {
      return true;
    }
  };
  /**
   * Under the lock: this thread's handle onto the file at `path` now. When that is not the chain's file (rotated since
   * any thread last opened it) the chain moves there: its size is that file's, and the other threads follow.
   */
  const reopenSync = () => {
    file?.close();
    file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
    const st = file.statSync();
    [ino, checkedAt] = [st.ino ?? 0, Date.now()];
    if (ino !== chain.ino) {
      [chain.ino, chain.size, chain.dirty] = [ino, st.size, false];
      logger.info("audit log reopened after rotation", { path, prev_hash: chain.head });
    }
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
  /** Write whole lines, or throw having cut off whatever part of them reached the file. */
  const put = (text: string) => {
    if (toStdout) return stdout(text);
    if (ino !== chain.ino || rotated()) reopenSync(); // another thread moved the chain, or the path holds another file
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

  return {
    async open() {
      if (toStdout) return undefined;
      file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
      const st = await file.stat();
      [ino, checkedAt] = [st.ino ?? 0, Date.now()];
      return st;
    },
    append(records) {
      if (closed) return { error: new Error("the audit log is closed") };
      try {
        let hash = chain.head, text = "";
        for (const r of records) {
          const unhashed = { ...r, prev_hash: hash };
          hash = chainHash(hash, unhashed, key);
          text += line(unhashed, hash); // the line keeps the original field order; the hash uses sorted keys
        }
        put(text);
        chain.head = hash;
        return { hash };
      } catch (error) {
        return { error };
      }
    },
    reopen: () => void (toStdout || reopenSync()),
    locked(f) {
      chain.lock();
      try {
        return f();
      } finally {
        chain.unlock();
      }
    },
    close() {
      closed = true;
      file?.close();
      file = undefined;
    },
  };
}
