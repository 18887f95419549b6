/** @module Write a file so that readers see the old or the new content, never half of either. */

import { dirname, join, resolve } from "node:path";
import { TalosOidcError } from "./errors.ts";

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o600: everything we write holds secrets). */
  mode?: number;
}

/**
 * Write `data` to `path` atomically: a uniquely named temp file in the same directory,
 * created with `mode` (no chmod window), fsynced, then renamed over `path`.
 * A symlink at `path` is followed, so the link survives and its target is replaced; a dangling one is refused
 * (writeTarget).
 * @throws {TalosOidcError} ERR_IO when `path` is a symlink to nothing.
 */
export async function atomicWrite(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const target = await writeTarget(path);
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

/**
 * The file a write to `path` replaces: the final target when `path` is a symlink (so the link survives), `path`
 * itself when nothing is there yet. The one rule for every file the tools write (talosconfig, token cache, profiles,
 * server state).
 * @throws {TalosOidcError} ERR_IO when `path` is a symlink whose target does not exist: writing would create a file
 * wherever the link points (a planted link could steer a 0600 secret file into someone else's directory).
 */
export async function writeTarget(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  let link: string;
  try {
    link = await Deno.readLink(path);
  } catch {
    return path; // nothing there (or a missing directory, created by the caller): a new file
  }
  const points = resolve(dirname(path), link);
  throw new TalosOidcError(
    "ERR_IO",
    `refusing to write "${path}": it is a symbolic link to "${points}", which does not exist`,
    {
      hint: `create "${points}" first if the link is meant to be there, or remove the link "${path}"`,
    },
  );
}
