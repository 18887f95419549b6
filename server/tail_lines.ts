/** @module Read the last non-empty lines of a file, looking at no more than a bounded number of bytes from its end. */

export interface FileTail {
  /** Complete non-empty lines, oldest first (a line cut by the byte bound is dropped). */
  lines: string[];
  /** Bytes before the part that was read. */
  skippedBytes: number;
}

/**
 * The last lines of `path` within `maxBytes` of its end; null when the file does not exist.
 * Other I/O errors are thrown: the caller decides whether a broken file is fatal.
 */
export async function readTailLines(path: string, maxBytes: number): Promise<FileTail | null> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(path, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  try {
    const size = (await f.stat()).size;
    const start = Math.max(0, size - maxBytes);
    await f.seek(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - start);
    let off = 0;
    while (off < buf.length) {
      const n = await f.read(buf.subarray(off));
      if (n === null) break;
      off += n;
    }
    const lines = new TextDecoder().decode(buf.subarray(0, off)).split("\n");
    if (start > 0) lines.shift(); // the first line is probably partial
    return { lines: lines.filter((l) => l.trim() !== ""), skippedBytes: start };
  } finally {
    f.close();
  }
}
