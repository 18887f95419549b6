/**
 * @module Update a YAML config file the user owns (talosconfig, kubeconfig) safely: lock, re-read inside the lock,
 * refuse a broken file untouched, validate the result, atomic 0600 write, symlinks kept.
 */

import { dirname } from "node:path";
import { atomicWrite, writeTarget } from "../shared/atomic_write.ts";
import { type ErrorCode, isTalosOidcError, TalosOidcError } from "../shared/errors.ts";
import { acquireFileLock, type FileLockOptions } from "./file_lock.ts";

/** One kind of config file: how it is named in messages and how its text is checked. */
export interface YamlFileKind {
  /** "talosconfig", "kubeconfig". */
  what: string;
  /** The error code for reading, parsing and writing it. */
  code: ErrorCode;
  /**
   * Parse and check the text; throw a coded error naming the path and line when it is broken (the file is then
   * left alone). Also applied to the result of every edit before it is written.
   */
  check(text: string, path: string): void;
}

/** A file as read from disk, with its exact text. */
export interface LoadedFile {
  path: string;
  /** False when the file does not exist (then `text` is ""). */
  exists: boolean;
  text: string;
}

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
 * Read the file at `path` (a missing file is empty).
 * @throws {TalosOidcError} `kind.code` when it cannot be read.
 */
export async function readConfigText(path: string, kind: YamlFileKind): Promise<LoadedFile> {
  try {
    return { path, exists: true, text: await Deno.readTextFile(path) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { path, exists: false, text: "" };
    throw new TalosOidcError(kind.code, `reading ${kind.what} "${path}"`, {
      cause: err,
      hint: `check the file's permissions, or pass another file with --${kind.what}`,
    });
  }
}

/**
 * Apply `mutate` to the file at `path` under `<target>.lock`. The file is re-read inside the lock so concurrent
 * writers never lose each other's entries. A broken existing file is an error naming it and its line, and is left
 * untouched; a `mutate` result that does not pass `kind.check` is never written. New directories are created 0700;
 * the file is always written 0600 (temp file + fsync + rename, so a crash leaves the old file).
 */
export async function updateConfigFile(
  path: string,
  kind: YamlFileKind,
  mutate: (text: string, current: LoadedFile) => string,
  options: UpdateOptions = {},
): Promise<UpdateResult> {
  const target = await realTarget(path, kind);
  await ensureDir(dirname(target), kind);
  await using _lock = await acquireFileLock(target, { what: `${kind.what} "${path}"`, ...options.lock });
  const current = await readConfigText(target, kind);
  kind.check(current.text, path);
  const after = mutate(current.text, { ...current, path });
  if (after === current.text && current.exists) {
    return { path, changed: false, existed: true, before: current.text, after };
  }
  kind.check(after, path); // never write something the file's readers could not read
  try {
    await atomicWrite(target, after, { mode: 0o600 });
  } catch (err) {
    throw new TalosOidcError(kind.code, `writing ${kind.what} "${path}"`, {
      cause: err,
      hint: `check that "${dirname(target)}" is writable; the previous file was not changed`,
    });
  }
  return { path, changed: true, existed: current.exists, before: current.text, after };
}

/** The file to replace (shared/atomic_write.ts's rule: symlinks followed, a dangling one refused), in `kind`'s code. */
async function realTarget(path: string, kind: Pick<YamlFileKind, "what" | "code">): Promise<string> {
  try {
    return await writeTarget(path);
  } catch (err) {
    const hint = isTalosOidcError(err) ? err.hint : undefined;
    const message = isTalosOidcError(err) ? err.message : `resolving ${kind.what} path "${path}"`;
    throw new TalosOidcError(kind.code, message, { cause: err, ...(hint ? { hint } : {}) });
  }
}

async function ensureDir(dir: string, kind: YamlFileKind): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return;
    throw new TalosOidcError(kind.code, `creating directory "${dir}"`, { cause: err });
  }
}
