/** @module Re-read the Talos API credential file when it changed (the talos.dev ServiceAccount's secret rotates). */

import type { Logger } from "../../shared/log.ts";
import { credentialProblems, parseTalosCredential, type TalosCredential } from "./credential.ts";

/** What the last stat() of the file said; a change of inode, size or mtime makes the next call read it. */
export interface StatMemo {
  value: string | undefined;
}

/**
 * The new credential when the file at `current.path` now holds a different, usable one; undefined otherwise.
 * A file that is missing, half-written or unusable (no os:admin, expired) keeps the current credential and is
 * logged as an error, once per change: a rotation in progress must not break issuing.
 */
export async function reloadCredential(
  current: TalosCredential,
  memo: StatMemo,
  now: Date,
  logger: Logger,
): Promise<TalosCredential | undefined> {
  let key: string;
  try {
    // stat follows the symlinks a Kubernetes secret volume swaps atomically (..data -> ..2024_...).
    const st = await Deno.stat(current.path);
    key = `${st.ino}:${st.size}:${st.mtime?.getTime()}`;
  } catch (err) {
    if (memo.value !== "missing") logger.error(`Talos API credential "${current.path}" cannot be read`, { error: err });
    memo.value = "missing";
    return undefined;
  }
  // The first look reads the file too: it may have changed since the server loaded it.
  if (memo.value !== undefined && key === memo.value) return undefined;
  memo.value = key;
  let text: string;
  try {
    text = await Deno.readTextFile(current.path);
  } catch (err) {
    logger.error(`Talos API credential "${current.path}" cannot be read`, { error: err });
    return undefined;
  }
  if (text === current.text) return undefined;
  let next: TalosCredential;
  try {
    next = parseTalosCredential(text, current.path);
  } catch (err) {
    logger.error(`Talos API credential "${current.path}" changed but cannot be used; keeping the previous one`, {
      error: err,
    });
    return undefined;
  }
  const problems = credentialProblems(next, now);
  if (problems.length > 0) {
    logger.error(`Talos API credential "${current.path}" changed but cannot be used; keeping the previous one`, {
      problems,
    });
    return undefined;
  }
  return next;
}
