/**
 * @module Advisory cross-process lock: `<path>.lock` created exclusively, broken only when its owner is gone.
 *
 * The lock file holds `{pid, host, token, created}`. It is stale when its owner runs on this host and that pid no
 * longer exists (/proc on Linux, else signal 0; Windows skips pid checks), or when it is older than `staleMs`.
 * Breaking a stale lock happens under a second short-lived `<path>.lock.break` lock and re-checks that the same lock
 * (token) is still stale, so two waiters never both break it and none of them steals a fresh lock. Locks are created
 * whole (temp file + hard link), so a half-written lock never looks stale.
 */

import { type Clock, systemClock } from "../shared/clock.ts";
import { TalosOidcError } from "../shared/errors.ts";
import { sleep } from "../shared/sleep.ts";

export interface FileLockOptions {
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
  /** A lock older than this is stale even if its owner looks alive (default 120 s). */
  staleMs?: number;
  /** Poll interval while waiting (default 25 ms, growing to 200 ms). */
  pollMs?: number;
  /** Abort waiting (e.g. Ctrl-C). */
  signal?: AbortSignal;
  /** What the lock protects, for the timeout message (default the path). */
  what?: string;
  /** Time for the deadline and for judging a lock's age (default the system clock); tests move a fixed one. */
  clock?: Clock;
  /** Waits between attempts (default a real, abortable sleep); tests inject one that does not wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A held lock. Release it explicitly or with `using` / `await using`. */
export interface FileLock extends AsyncDisposable, Disposable {
  readonly path: string;
  release(): Promise<void>;
}

interface LockInfo {
  pid: number;
  host: string;
  token: string;
  created: number;
}

/**
 * Acquire `<path>.lock`, waiting up to `timeoutMs`.
 * @throws {TalosOidcError} ERR_TIMEOUT naming the lock file and its owner when it stays held.
 */
export async function acquireFileLock(path: string, options: FileLockOptions = {}): Promise<FileLock> {
  const lockPath = `${path}.lock`;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const staleMs = options.staleMs ?? 120_000;
  const clock = options.clock ?? systemClock;
  const now = () => clock.now().getTime();
  const deadline = now() + timeoutMs;
  const info: LockInfo = { pid: Deno.pid, host: hostname(), token: crypto.randomUUID(), created: now() };
  let wait = options.pollMs ?? 25;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await tryCreate(lockPath, { ...info, created: now() })) return held(lockPath, info.token);
    await breakIfStale(lockPath, staleMs, now);
    if (now() >= deadline) {
      const owner = await readInfo(lockPath);
      throw new TalosOidcError("ERR_TIMEOUT", `waiting for the lock on "${options.what ?? path}"`, {
        hint: `another talosctl-oidc process${
          owner ? ` (pid ${owner.pid} on ${owner.host})` : ""
        } holds "${lockPath}"; if no such process runs, delete that file`,
      });
    }
    await (options.sleep ?? sleep)(Math.min(wait, Math.max(1, deadline - now())), options.signal);
    wait = Math.min(200, Math.round(wait * 1.5));
  }
}

/** Run `fn` while holding the lock on `path`. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options?: FileLockOptions): Promise<T> {
  await using _lock = await acquireFileLock(path, options);
  return await fn();
}

/**
 * Create `lockPath` holding `info`, atomically: the content is written to a private temp file first and then
 * hard-linked into place (link fails when the lock exists), so no one ever sees an empty, half-written lock.
 */
async function tryCreate(lockPath: string, info: LockInfo): Promise<boolean> {
  const tmp = `${lockPath}.${info.token}.tmp`;
  try {
    // Deno.open and write, not Deno.writeTextFile: that one loads the web streams code first (~2 ms a run).
    const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
    try {
      const bytes = new TextEncoder().encode(JSON.stringify(info));
      for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
    } finally {
      file.close();
    }
    await Deno.link(tmp, lockPath);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return false;
    throw new TalosOidcError("ERR_IO", `creating the lock file "${lockPath}"`, { cause: err });
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

function held(lockPath: string, token: string): FileLock {
  let released = false;
  const releaseSync = () => {
    if (released) return;
    released = true;
    try {
      const cur = JSON.parse(Deno.readTextFileSync(lockPath)) as LockInfo;
      if (cur.token === token) Deno.removeSync(lockPath);
    } catch { /* already gone or broken by someone who judged it stale */ }
  };
  return {
    path: lockPath,
    release: () => Promise.resolve(releaseSync()),
    [Symbol.dispose]: releaseSync,
    [Symbol.asyncDispose]: () => Promise.resolve(releaseSync()),
  };
}

async function readInfo(lockPath: string): Promise<LockInfo | null> {
  try {
    const v = JSON.parse(await Deno.readTextFile(lockPath));
    return typeof v?.pid === "number" && typeof v?.token === "string" ? v as LockInfo : null;
  } catch {
    return null;
  }
}

async function isStale(lockPath: string, staleMs: number, now: () => number): Promise<string | null> {
  const info = await readInfo(lockPath);
  let mtime = now();
  try {
    mtime = (await Deno.stat(lockPath)).mtime?.getTime() ?? mtime;
  } catch {
    return null; // gone: not ours to break
  }
  // Locks are created whole (tryCreate), so an unreadable one is damage: stale once it is older than staleMs.
  if (!info) return now() - mtime > staleMs ? "" : null;
  if (now() - info.created > staleMs) return info.token;
  if (info.host === hostname() && !(await pidAlive(info.pid))) return info.token;
  return null;
}

async function breakIfStale(lockPath: string, staleMs: number, now: () => number): Promise<void> {
  const seen = await isStale(lockPath, staleMs, now);
  if (seen === null) return;
  const breaker: LockInfo = { pid: Deno.pid, host: hostname(), token: crypto.randomUUID(), created: now() };
  const breakPath = `${lockPath}.break`;
  if (!(await tryCreate(breakPath, breaker))) {
    // Someone else is breaking it; a breaker that died leaves a break file we clear after a few seconds.
    const b = await readInfo(breakPath);
    if (b && (now() - b.created > 5_000 || (b.host === hostname() && !(await pidAlive(b.pid))))) {
      await Deno.remove(breakPath).catch(() => {});
    }
    return;
  }
  try {
    // Re-check under the break lock: only the very lock judged stale before (same token) may go; a lock that was
    // released and re-taken meanwhile belongs to a live holder.
    if ((await isStale(lockPath, staleMs, now)) === seen) await Deno.remove(lockPath).catch(() => {});
  } finally {
    await Deno.remove(breakPath).catch(() => {});
  }
}

/**
 * Whether a process exists on this host. Only Linux can tell cheaply (/proc); elsewhere assume alive.
 * Only "no such process" counts as dead: a /proc read we may not make (Deno needs --allow-all for /proc) proves
 * nothing, and breaking a live lock would let two writers interleave.
 */
async function pidAlive(pid: number): Promise<boolean> {
  if (Deno.build.os === "windows") return true;
  if (pid === Deno.pid) return true;
  if (Deno.build.os === "linux") {
    try {
      const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
      // A zombie ("Z") has exited; its lock is stale.
      return !/^\d+ \(.*\) Z /s.test(stat);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
    }
  }
  // /proc is closed to us (Deno wants --allow-all for it): signal 0 asks the kernel; only ESRCH means gone.
  try {
    const { default: process } = await import("node:process"); // only here: it loads node's compat layer
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code !== "ESRCH";
  }
}

/** This machine's name (Deno's own call: node:os would load the node compat layer on every kube token run). */
function hostname(): string {
  return Deno.hostname();
}
