/**
 * @module The block list in Redis/Valkey, with a local copy for the exchange path: a change on any replica reaches
 * every other through pub/sub at once, and a 250 ms version poll backs that up. A copy not confirmed within a second
 * is stale: the exchange then fails closed (or goes on with it under state_store_fail_open).
 */

import { TalosOidcError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import { inForce, MAX_BLOCKS, newBlock } from "./blocks.ts";
import type { RedisConnection } from "./redis_connection.ts";
import type { Block, BlockList, BlockSnapshot } from "./types.ts";

/** How often the copy is checked against the store's version counter. */
const POLL_MS = 250;
/** A copy older than this is stale (one second is the promise: a block holds on every replica within it). */
const STALE_MS = 1_000;

export async function createRedisBlocks(
  redis: RedisConnection,
  o: { prefix: string; now: () => number; logger: Logger },
): Promise<BlockList & { close(): void }> {
  const key = `${o.prefix}blocks`, versionKey = `${o.prefix}blocks:version`, channel = `${o.prefix}blocks`;
  let blocks: readonly Block[] = [];
  let version: string | null | undefined;
  let syncedAt = -Infinity; // performance.now() of the last confirmation
  let lastFresh = false;
  const listeners = new Set<(s: BlockSnapshot) => void>();
  const fresh = () => performance.now() - syncedAt < STALE_MS;
  const snapshot = (): BlockSnapshot => ({ blocks, fresh: fresh() });
  const tell = () => {
    lastFresh = fresh();
    const s = snapshot();
    for (const l of listeners) l(s);
  };
  const readAll = async (): Promise<Block[]> => {
    const flat = await redis.send(["HGETALL", key]) as string[];
    const out: Block[] = [];
    for (let i = 1; i < flat.length; i += 2) out.push(JSON.parse(flat[i]!) as Block);
    return out.sort((a, b) => a.created_at.localeCompare(b.created_at));
  };
  let syncing: Promise<void> | undefined;
  const sync = () =>
    syncing ??= (async () => {
      try {
        const v = await redis.send(["GET", versionKey]) as string | null;
        const changed = v !== version;
        if (changed) blocks = await readAll();
        version = v;
        syncedAt = performance.now();
        if (changed || !lastFresh) tell();
      } catch {
        if (lastFresh && !fresh()) tell();
      } finally {
        syncing = undefined;
      }
    })();
  const changed = async () => {
    const v = await redis.send(["INCR", versionKey]);
    await redis.send(["PUBLISH", channel, String(v)]);
    await sync();
  };
  await redis.subscribe(channel, () => void sync());
  const timer = setInterval(() => void sync(), POLL_MS);
  Deno.unrefTimer(timer);
  await sync(); // the copy is fresh from the first request on (when the store is up)

  return {
    async add(input) {
      if (Number(await redis.send(["HLEN", key])) >= MAX_BLOCKS) {
        throw new TalosOidcError("ERR_INVALID_REQUEST", `the block list is full (${MAX_BLOCKS} entries)`, {
          hint: "remove blocks that are no longer needed, or disable the accounts at the IdP",
        });
      }
      const b = newBlock(input, o.now());
      await redis.send(["HSET", key, b.id, JSON.stringify(b)]);
      await changed();
      return b;
    },
    async remove(id) {
      const raw = await redis.send(["HGET", key, id]);
      if (typeof raw !== "string") return undefined;
      await redis.send(["HDEL", key, id]);
      await changed();
      return JSON.parse(raw) as Block;
    },
    async list() {
      const all = await readAll();
      const t = o.now(), ended = all.filter((b) => !inForce(b, t));
      if (ended.length > 0) { // expired blocks are dropped from the store on the way
        await redis.send(["HDEL", key, ...ended.map((b) => b.id)]);
        await changed();
      }
      return all.filter((b) => inForce(b, t));
    },
    snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close: () => clearInterval(timer),
  };
}
