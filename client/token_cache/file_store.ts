/**
 * @module The token file `…/talosctl-oidc/tokens.json`: `{ "<context>": CachedToken }`, pretty JSON like the
 * original tool, 0600 in a 0700 directory, written atomically under a file lock. A file that group or others can
 * read is refused, never silently fixed: someone may already have copied the refresh tokens.
 */

import { dirname } from "../../shared/path.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import type { CachedToken } from "../types.ts";

export type TokenFile = Record<string, CachedToken>;

/** The token file at `path`. */
export interface FileStore {
  readonly path: string;
  /** All entries (empty when the file does not exist). */
  read(): Promise<TokenFile>;
  /** Read-modify-write under the lock; the file is deleted when no entry is left. */
  update(fn: (entries: TokenFile) => TokenFile | void): Promise<TokenFile>;
}

/**
 * Open the token file store at `path` (nothing is touched until used). The work is in module-level functions, not
 * closures here: a function is compiled when first called, and kube token (kubectl's every command) only reads.
 */
export function fileStore(path: string): FileStore {
  return { path, read: () => Promise.try(readTokenFile, path), update: (fn) => updateTokenFile(path, fn) };
}

/**
 * All entries of the token file (empty when it does not exist). Sync file calls: an async one is a round trip
 * through Deno's thread pool, and kube token reads this file on every run; a few KB from a local disk does not hold
 * up the event loop.
 */
function readTokenFile(path: string): TokenFile {
  let text: string;
  try {
    checkMode(path);
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return {};
    if (err instanceof TalosOidcError) throw err;
    throw new TalosOidcError("ERR_TOKEN_CACHE", `reading the token cache "${path}"`, { cause: err });
  }
  if (text.trim() === "") return {};
  try {
    const parsed = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new SyntaxError("not an object");
    }
    return parsed as TokenFile;
  } catch (err) {
    throw new TalosOidcError("ERR_TOKEN_CACHE", `parsing the token cache "${path}"`, {
      cause: err,
      hint: `delete "${path}" and log in again`,
    });
  }
}

/** Read-modify-write under the lock; the file is deleted when no entry is left. */
async function updateTokenFile(path: string, fn: (entries: TokenFile) => TokenFile | void): Promise<TokenFile> {
  await ensurePrivateDir(dirname(path));
  const { withFileLock } = await import("../file_lock.ts"); // loaded only to write: reads take no lock
  return await withFileLock(path, async () => {
    const before = readTokenFile(path);
    const draft = structuredClone(before);
    const after = fn(draft) ?? draft;
    if (JSON.stringify(after) === JSON.stringify(before)) return after;
    if (Object.keys(after).length === 0) await Deno.remove(path).catch(() => {});
    else {
      // Loaded only to write: kube token answering from the cache reads (atomic_write pulls in node:path).
      const { atomicWrite } = await import("../../shared/atomic_write.ts");
      await atomicWrite(path, JSON.stringify(after, null, 2) + "\n", { mode: 0o600 });
    }
    return after;
  }, { what: `token cache "${path}"` });
}

/**
 * Refuse a token file readable or writable by group or others (POSIX only; Windows has no mode bits here).
 * @throws {TalosOidcError} ERR_TOKEN_CACHE with the chmod that fixes it.
 */
function checkMode(path: string): void {
  const st = Deno.statSync(path);
  if (st.mode === null || (st.mode & 0o077) === 0) return;
  const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
  throw new TalosOidcError("ERR_TOKEN_CACHE", `refusing to use the token cache "${path}": its mode is ${mode}`, {
    hint:
      `it holds refresh tokens and must be private: run "chmod 600 ${path}" (and consider logging out to rotate them)`,
  });
}

async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) {
      throw new TalosOidcError("ERR_TOKEN_CACHE", `creating the token cache directory "${dir}"`, { cause: err });
    }
  }
}
