/** @module The audit file at open: where its chain continues from, and a torn last line moved aside. */

import { basename, dirname, join } from "node:path";
import { TalosOidcError } from "../../shared/errors.ts";
import { HEX64 } from "./chain.ts";
import { readTailLines } from "../tail_lines.ts";

const TAIL_BYTES = 64 * 1024;

/** What repairTornTail() moved aside: the bytes after the last whole line, kept in their own 0600 file. */
export interface TornTail {
  /** Where the torn bytes are kept (`<path>.torn-<time>`). */
  keptIn: string;
  bytes: number;
  /** Offset the file was cut back to: the end of its last whole line. */
  offset: number;
}

/**
 * A process killed or a disk filled mid-write leaves a last line without its newline, or one that is not a chained
 * JSON record (a crash can leave zeros). Appending after it would join the next line to it and break the chain for
 * good. Such a tail is copied to `<path>.torn-<time>` (0600, never overwritten) and cut off, so the chain continues
 * from the last whole line; the caller records that it happened. Only the last line is ever moved.
 */
export async function repairTornTail(path: string, now: () => Date): Promise<TornTail | undefined> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(path, { read: true, write: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  try {
    const size = (await f.stat()).size;
    if (size === 0) return undefined;
    const start = Math.max(0, size - TAIL_BYTES);
    const buf = await readAt(f, start, size - start);
    const endsWhole = buf[buf.length - 1] === 0x0a;
    // The torn part starts after the last newline; when the file ends with one, the last line is checked instead.
    const cut = lastNewlineBefore(buf, endsWhole ? buf.length - 1 : buf.length);
    if (cut < 0 && start > 0) {
      throw new TalosOidcError("ERR_AUDIT", `audit log "${path}": its last ${TAIL_BYTES} bytes hold no line break`, {
        hint: "the file is not an audit log written by talosctl-oidc, or its end is damaged: move it aside",
      });
    }
    const from = cut + 1;
    const tail = buf.subarray(from, endsWhole ? buf.length - 1 : buf.length);
    if (endsWhole && (tail.length === 0 || isChainedLine(new TextDecoder().decode(tail)))) return undefined;
    const offset = start + from;
    const keptIn = `${path}.torn-${now().toISOString().replaceAll(":", "")}`;
    await Deno.writeFile(keptIn, buf.subarray(from), { createNew: true, mode: 0o600 });
    await f.truncate(offset);
    await f.sync();
    return { keptIn, bytes: size - offset, offset };
  } finally {
    f.close();
  }
}

/** The `hash` on the last line of a file, or undefined when missing, empty or unchained. */
export async function lastHashOf(path: string): Promise<string | undefined> {
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
export async function lastHashOfRotated(path: string): Promise<string | undefined> {
  const dir = dirname(path), base = basename(path);
  const candidates: { p: string; mtime: number }[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || e.name === base || !/^[.-]/.test(e.name.slice(base.length))) continue;
      if (!e.name.startsWith(base) || /\.(gz|bz2|xz|zst)$/.test(e.name) || e.name.includes(".torn-")) continue;
      const st = await Deno.stat(join(dir, e.name));
      candidates.push({ p: join(dir, e.name), mtime: st.mtime?.getTime() ?? 0 });
    }
  } catch {
    return undefined;
  }
  candidates.sort((a, b) => b.mtime - a.mtime);
  return candidates[0] ? await lastHashOf(candidates[0].p) : undefined;
}

function isChainedLine(line: string): boolean {
  try {
    const rec = JSON.parse(line) as { hash?: unknown; prev_hash?: unknown };
    return typeof rec.hash === "string" && HEX64.test(rec.hash) && typeof rec.prev_hash === "string" &&
      HEX64.test(rec.prev_hash);
  } catch {
    return false;
  }
}

function lastNewlineBefore(buf: Uint8Array, end: number): number {
  for (let i = end - 1; i >= 0; i--) if (buf[i] === 0x0a) return i;
  return -1;
}

async function readAt(f: Deno.FsFile, at: number, length: number): Promise<Uint8Array> {
  await f.seek(at, Deno.SeekMode.Start);
  const buf = new Uint8Array(length);
  let off = 0;
  while (off < length) {
    const n = await f.read(buf.subarray(off));
    if (n === null) break;
    off += n;
  }
  return buf.subarray(0, off);
}
