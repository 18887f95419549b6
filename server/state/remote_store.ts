/**
 * @module A worker thread's view of the state store: every decision is asked of the owner thread, which holds the
 * one store (memory or Redis); the block list and the store's health are copies the owner pushes on each change.
 */

import type { Channel } from "../workers/channel.ts";
import type { RateDecision } from "../middleware/sliding_window.ts";
import type { Block, BlockSnapshot, Limiter, LimitScope, StateStore, StoreHealth } from "./types.ts";

/** What the owner tells a worker about its store when the worker starts. */
export interface RemoteStoreInit {
  name: string;
  /** Which limiters are on. */
  limits: Readonly<Record<LimitScope, boolean>>;
  blocks: BlockSnapshot;
  health: StoreHealth;
}

export interface RemoteStore extends StateStore {
  /** The owner's push: a new block list copy (or freshness). */
  setBlocks(snapshot: BlockSnapshot): void;
  /** The owner's push: the store's health changed. */
  setHealth(health: StoreHealth): void;
}

/** Method names the owner answers (server/workers/owner_handlers.ts), one per store operation. */
export const STORE_CALLS = {
  hit: "store.hit",
  lockedFor: "store.lockedFor",
  attempt: "store.attempt",
  createSession: "store.createSession",
  getSession: "store.getSession",
  destroySession: "store.destroySession",
  stats: "store.stats",
  certs: "store.certs",
  series: "store.series",
  addBlock: "store.addBlock",
  removeBlock: "store.removeBlock",
  listBlocks: "store.listBlocks",
} as const;

/** The store a worker's app uses; `channel` leads to the owner thread. */
export function createRemoteStore(channel: Channel, init: RemoteStoreInit): RemoteStore {
  let blocks = init.blocks;
  let health = init.health;
  const listeners = new Set<(s: BlockSnapshot) => void>();
  const c = STORE_CALLS;
  const limiter = (scope: LimitScope): Limiter | undefined =>
    init.limits[scope] ? { hit: (key) => channel.call<RateDecision>(c.hit, scope, key) } : undefined;
  const limiters = { ip: limiter("ip"), subject: limiter("subject") };
  return {
    name: init.name,
    limiter: (scope) => limiters[scope],
    lockout: {
      lockedFor: (key) => channel.call(c.lockedFor, key),
      attempt: (key, ok) => channel.call(c.attempt, key, ok),
    },
    sessions: {
      create: () => channel.call(c.createSession),
      get: (id) => (id ? channel.call(c.getSession, id) : undefined),
      destroy: (id) => (id ? channel.call(c.destroySession, id) : undefined),
    },
    history: {
      record: () => {}, // the owner records what the audit stream carries; workers only read
      stats: () => channel.call(c.stats),
      certs: (options) => channel.call(c.certs, options ?? {}),
      issuanceSeries: (bucketMs, buckets) => channel.call(c.series, bucketMs, buckets),
    },
    blocks: {
      add: (input) => channel.call<Block>(c.addBlock, input),
      remove: (id) => channel.call<Block | undefined>(c.removeBlock, id),
      list: () => channel.call<Block[]>(c.listBlocks),
      snapshot: () => blocks,
      subscribe(listener) {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
    },
    health: () => health,
    limiterEntries: () => 0,
    close: () => Promise.resolve(),
    setBlocks(snapshot) {
      blocks = snapshot;
      for (const l of listeners) l(snapshot);
    },
    setHealth: (h) => void (health = h),
  };
}
