/** @module Update a talosconfig safely: lock, re-read inside the lock, validate, atomic 0600 write, symlinks kept. */

import { dirname } from "node:path";
import { atomicWrite, writeTarget } from "../../shared/atomic_write.ts";
import { isTalosOidcError, TalosOidcError } from "../../shared/errors.ts";
import type { ContextCredentials } from "../types.ts";
import { acquireFileLock, type FileLockOptions } from "../file_lock.ts";
import { mergeContext, removeContext, type RemoveResult } from "./merge.ts";
import { type LoadedTalosconfig, parseTalosconfig, readTalosconfig } from "./read.ts";

export interface UpdateResult {
  /** The path given (a symlink stays a symlink; its target was replaced). */
  path: string;
  /** False when `mutate` returned the text unchanged (nothing was written). */
  changed: boolean;
  /** The file existed before. */
  existed: boolean;
  before: string;
  after: string;
}

export interface UpdateOptions {
  /** Lock waiting options (default: wait up to 15 s). */
  lock?: FileLockOptions;
}

/**
 * Apply `mutate` to the talosconfig at `path` under `<target>.lock`. The file is re-read inside the lock so
 * concurrent writers never lose each other's contexts. A broken existing file is an ERR_TALOSCONFIG naming it and
 * its line, and is left untouched; a `mutate` result that does not parse is never written. New directories are
 * created 0700; the file is always written 0600 (temp file + fsync + rename, so a crash leaves the old file).
 */
export async function updateTalosconfig(
  path: string,
  mutate: (text: string, current: LoadedTalosconfig) => string,
  options: UpdateOptions = {},
): Promise<UpdateResult> {
  const target = await realTarget(path);
  await ensureDir(dirname(target));
  await using _lock = await acquireFileLock(target, { what: `talosconfig "${path}"`, ...options.lock });
  const current = await readTalosconfig(target);
  const after = mutate(current.text, { ...current, path });
  if (after === current.text && current.exists) {
    return { path, changed: false, existed: true, before: current.text, after };
  }
  parseTalosconfig(after, path); // never write something talosctl could not read
  try {
    await atomicWrite(target, after, { mode: 0o600 });
  } catch (err) {
    throw new TalosOidcError("ERR_TALOSCONFIG", `writing talosconfig "${path}"`, {
      cause: err,
      hint: `check that "${dirname(target)}" is writable; the previous file was not changed`,
    });
  }
  return { path, changed: true, existed: current.exists, before: current.text, after };
}

/** Add or replace context `name` with `creds` and make it current (see mergeContext for the rules). */
export async function writeContext(
  path: string,
  name: string,
  creds: ContextCredentials,
  options?: UpdateOptions,
): Promise<UpdateResult> {
  return await updateTalosconfig(path, (text) => mergeContext(text, name, creds), options);
}

/** Remove context `name` (clearing `context:` if it was current). A missing file or context changes nothing. */
export async function deleteContext(
  path: string,
  name: string,
  options?: UpdateOptions,
): Promise<Omit<RemoveResult, "text"> & { path: string }> {
  let result: RemoveResult = { text: "", removed: false, wasCurrent: false };
  const probe = await readTalosconfig(path); // a missing file, or a link to one: nothing to remove, nothing written
  if (!probe.exists) return { path, removed: false, wasCurrent: false };
  await updateTalosconfig(path, (text) => {
    result = removeContext(text, name);
    return result.text;
  }, options);
  return { path, removed: result.removed, wasCurrent: result.wasCurrent };
}

/** The file to replace (shared/atomic_write.ts's rule: symlinks followed, a dangling one refused), as ERR_TALOSCONFIG. */
async function realTarget(path: string): Promise<string> {
  try {
    return await writeTarget(path);
  } catch (err) {
    const hint = isTalosOidcError(err) ? err.hint : undefined;
    const message = isTalosOidcError(err) ? err.message : `resolving talosconfig path "${path}"`;
    throw new TalosOidcError("ERR_TALOSCONFIG", message, { cause: err, ...(hint ? { hint } : {}) });
  }
}

async function ensureDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return;
    throw new TalosOidcError("ERR_TALOSCONFIG", `creating directory "${dir}"`, { cause: err });
  }
}
