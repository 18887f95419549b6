/**
 * @module The state store contract: what every worker thread and every replica must see alike (rate-limit windows,
 * admin sessions and lock-outs, the issuance history, the subject block list), whichever of the three stores holds it.
 */

import type { CertRecord } from "../admin/cert_record.ts";
import type { Attempt } from "../admin/lockout.ts";
import type { Session } from "../admin/sessions.ts";
import type { Stats } from "../admin/tracker.ts";
import type { AuditEvent } from "../audit/types.ts";
import type { RateDecision } from "../middleware/sliding_window.ts";

/** A value now (the in-process store) or later (a store across threads or the network). */
export type Awaitable<T> = T | Promise<T>;

/** Which limiter: per client address (before the token is read) or per subject (after). */
export type LimitScope = "ip" | "subject";

export interface Limiter {
  /** Count one request for `key`; refused requests are not counted. Rejects with ERR_STATE_STORE when unreachable. */
  hit(key: string): Awaitable<RateDecision>;
}

/** Brute-force lock-out of the admin token, keyed by client address (server/admin/lockout.ts has the rules). */
export interface AdminLockout {
  /** Milliseconds left on the lock (advisory: the decision is attempt()'s). */
  lockedFor(key: string): Awaitable<number>;
  /** One attempt, decided atomically in the store: refused while locked, else counted (failure) or cleared. */
  attempt(key: string, ok: boolean): Awaitable<Attempt>;
}

/** Dashboard sessions (server/admin/sessions.ts has the rules). */
export interface AdminSessions {
  create(): Awaitable<{ id: string; session: Session }>;
  get(id: string | undefined): Awaitable<Session | undefined>;
  destroy(id: string | undefined): Awaitable<void>;
}

/** What the dashboard and /admin/* read: counters, issuance history, recent failures. */
export interface HistoryView {
  stats(): Awaitable<Stats>;
  certs(options?: { all?: boolean }): Awaitable<CertRecord[]>;
  issuanceSeries(bucketMs: number, buckets: number): Awaitable<{ start: Date; count: number }[]>;
}

export interface History extends HistoryView {
  /** Take in one audit event (the audit stream feeds it). Never throws; a store failure is logged. */
  record(event: AuditEvent & { timestamp: string }): void;
}

/** A blocked identity: its certificates are refused at /exchange (403 ERR_BLOCKED) until `until`, or until removed. */
export interface Block {
  /** Random id, for DELETE /admin/blocks/<id>. */
  id: string;
  /** The token's `sub` (the issuer is this server's one issuer_url). */
  subject?: string;
  /** The token's `email`, compared case-insensitively. */
  email?: string;
  reason: string;
  /** RFC 3339 UTC. */
  created_at: string;
  /** RFC 3339 UTC; absent = until removed. */
  until?: string;
}

export type BlockInput = Pick<Block, "subject" | "email" | "reason" | "until">;

/** The block list as the exchange path reads it: a local copy, fresh or not. */
export interface BlockSnapshot {
  blocks: readonly Block[];
  /** False while the store is unreachable (the copy may miss a block made on another replica). */
  fresh: boolean;
}

export interface BlockList {
  add(input: BlockInput): Awaitable<Block>;
  remove(id: string): Awaitable<Block | undefined>;
  list(): Awaitable<Block[]>;
  /** The local copy, read synchronously on every exchange. */
  snapshot(): BlockSnapshot;
  /** Called whenever the copy or its freshness changes; returns the unsubscribe function. */
  subscribe(listener: (snapshot: BlockSnapshot) => void): () => void;
}

/** Reachability of the store, for /readyz and the fail-closed decisions. */
export interface StoreHealth {
  ok: boolean;
  /** Why not, when not ok (never a password). */
  detail?: string;
}

/** One source of truth for everything stateful; `memory` (one process), `worker` (a thread's view), `redis`. */
export interface StateStore {
  /** "memory", or the store URL without its password: log lines and errors name it. */
  readonly name: string;
  /** The limiter for `scope`, or undefined when that limit is off (0). */
  limiter(scope: LimitScope): Limiter | undefined;
  readonly lockout: AdminLockout;
  readonly sessions: AdminSessions;
  readonly history: History;
  readonly blocks: BlockList;
  health(): StoreHealth;
  /** Entries in the per-IP limiter, for the rate_limiter_entries gauge (0 where the store does not know). */
  limiterEntries(): number;
  close(): Promise<void>;
}
