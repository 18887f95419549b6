/** @module Write a file so that readers see the old or the new content, never half of either. */

import { dirname, join } from "node:path";

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o600: everything we write holds secrets). */
  mode?: number;
}

/**
 * Write `data` to `path` atomically: a uniquely named temp file in the same directory,
 * created with `mode` (no chmod window), fsynced, then renamed over `path`.
 * A symlink at `path` is followed, so the link survives and its target is replaced.
 */
export async function atomicWrite(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const target = await resolveSymlink(path);
  const dir = dirname(target);
  const tmp = join(dir, `.${crypto.randomUUID()}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: options.mode ?? 0o600 });
  try {
    let off = 0;
    while (off < bytes.length) off += await file.write(bytes.subarray(off));
    await file.sync();
  } catch (err) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  file.close();
  try {
    await Deno.rename(tmp, target);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

async function resolveSymlink(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return path;
    throw err;
  }
}
