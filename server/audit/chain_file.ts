/**
 * @module One thread's handle on the audit chain's file (or stdout): chain records onto the head and append them as
 * one write, under the chain's lock, cutting off whatever part of a failed write reached the file; follow a rotation,
 * whichever thread saw it first (audit/shared_chain.ts).
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
  /** Run `f` holding the chain's lock. */
  locked<T>(f: () => T): T;
  close(): void;
}

export function chainFile(o: ChainFileOptions): ChainFile {
  const { path, chain, logger, key } = o;
  const toStdout = !path || path === "-";
  const enc = new TextEncoder();
  const stdout = o.stdout ?? ((line: string) => writeAll(Deno.stdout, enc.encode(line)));
  let file: Deno.FsFile | undefined;
  let ino: number | null = null;
  let generation = chain.generation; // the file this thread's handle is on (moves on reopen by any thread)
  let checkedAt = 0;

  const line = (unhashed: Record<string, unknown>, hash: string) =>
    `${JSON.stringify(unhashed).slice(0, -1)},"hash":"${hash}"}\n`;
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

  return {
    async open() {
      if (toStdout) return undefined;
      file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
      const st = await file.stat();
      [ino, checkedAt, generation] = [st.ino, Date.now(), chain.generation];
      return st;
    },
    append(records) {
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
    },
    reopen: () => void (toStdout || reopenSync(true)),
    locked(f) {
      chain.lock();
      try {
        return f();
      } finally {
        chain.unlock();
      }
    },
    close() {
      file?.close();
      file = undefined;
    },
  };
}
