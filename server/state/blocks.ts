/**
 * @module The subject block list's rules: what a valid block is, whether an identity is blocked, and the in-process
 * list (one process, or the owner thread of a process with workers).
 */

import { randomBytes } from "node:crypto";
import { TalosOidcError } from "../../shared/errors.ts";
import { displayText, MAX_SHOWN_IDENTITY } from "../identity.ts";
import type { Block, BlockInput, BlockList, BlockSnapshot } from "./types.ts";

/** Most blocks held at once: a leaver list, not a deny-all; beyond this the operator should fix the IdP instead. */
export const MAX_BLOCKS = 10_000;
/** Longest reason kept (it is shown on the dashboard and written to the audit log). */
const MAX_REASON = 500;

const bad = (message: string) => new TalosOidcError("ERR_INVALID_REQUEST", message);

/**
 * Check a block request and normalise it: a subject or an email (or both), a reason, and an optional `until` in the
 * future (RFC 3339). @throws {TalosOidcError} ERR_INVALID_REQUEST naming the field to fix.
 */
export function parseBlockInput(body: unknown, now: number): BlockInput {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw bad("expected a JSON object");
  const { subject, email, reason, until, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw bad(`unknown field "${unknown[0]}" (expected subject, email, reason, until)`);
  const text = (v: unknown, name: string, max: number) => {
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") throw bad(`${name} must be a string`);
    const t = v.trim();
    if (t.length > max) throw bad(`${name} is longer than ${max} characters`);
    return t || undefined;
  };
  const s = text(subject, "subject", MAX_SHOWN_IDENTITY), e = text(email, "email", MAX_SHOWN_IDENTITY);
  if (!s && !e) throw bad("give subject or email (the ID token's sub or email claim) to block");
  const r = text(reason, "reason", MAX_REASON);
  if (!r) throw bad("reason is required (it is audited and shown on the dashboard)");
  let u: string | undefined;
  if (until !== undefined && until !== null && until !== "") {
    const t = typeof until === "string" ? Date.parse(until) : NaN;
    if (Number.isNaN(t)) throw bad('until must be an RFC 3339 time, e.g. "2030-01-31T00:00:00Z"');
    if (t <= now) throw bad("until is in the past: the block would never apply");
    u = new Date(t).toISOString();
  }
  return {
    ...(s ? { subject: s } : {}),
    ...(e ? { email: e.toLowerCase() } : {}),
    reason: r,
    ...(u ? { until: u } : {}),
  };
}

/** A new block with its id and creation time. */
export function newBlock(input: BlockInput, now: number): Block {
  return { id: randomBytes(9).toString("base64url"), ...input, created_at: new Date(now).toISOString() };
}

/** True while a block applies (no `until`, or `until` still ahead). */
export function inForce(b: Block, now: number): boolean {
  return b.until === undefined || Date.parse(b.until) > now;
}

/**
 * The block that applies now to a token's identity, if any: whole-value match on `sub`, case-insensitive on `email`
 * (verified or not: a block only ever refuses). Give both the raw claims and the cleaned ones the dashboard shows, so
 * a block made from a dashboard row holds for a `sub` with control characters too.
 */
export function matchBlock(
  blocks: readonly Block[],
  who: { subjects: readonly string[]; emails: readonly string[] },
  now: number,
): Block | undefined {
  if (blocks.length === 0) return undefined;
  const emails = who.emails.map((e) => e.toLowerCase());
  return blocks.find((b) =>
    inForce(b, now) &&
    ((b.subject !== undefined && who.subjects.includes(b.subject)) ||
      (b.email !== undefined && emails.includes(b.email)))
  );
}

/** A block as shown to people (dashboard, CLI): identities cleaned of control and bidi characters. */
export function shownBlock(b: Block): Block {
  return {
    ...b,
    ...(b.subject ? { subject: displayText(b.subject, MAX_SHOWN_IDENTITY) } : {}),
    ...(b.email ? { email: displayText(b.email, MAX_SHOWN_IDENTITY) } : {}),
  };
}

/** The block list in this process's memory (always fresh: it is the source of truth). */
export function createMemoryBlockList(now: () => number): BlockList {
  let blocks: Block[] = [];
  const listeners = new Set<(s: BlockSnapshot) => void>();
  const changed = () => {
    const s = { blocks, fresh: true };
    for (const l of listeners) l(s);
  };
  const prune = () => {
    const t = now();
    if (blocks.some((b) => !inForce(b, t))) blocks = blocks.filter((b) => inForce(b, t));
  };
  return {
    add(input) {
      prune();
      if (blocks.length >= MAX_BLOCKS) {
        throw new TalosOidcError("ERR_INVALID_REQUEST", `the block list is full (${MAX_BLOCKS} entries)`, {
          hint: "remove blocks that are no longer needed, or disable the accounts at the IdP",
        });
      }
      const b = newBlock(input, now());
      blocks = [...blocks, b];
      changed();
      return b;
    },
    remove(id) {
      const b = blocks.find((x) => x.id === id);
      if (!b) return undefined;
      blocks = blocks.filter((x) => x !== b);
      changed();
      return b;
    },
    list: () => (prune(), [...blocks]),
    snapshot: () => ({ blocks, fresh: true }),
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
