/**
 * @module The state store on Redis/Valkey (`state_store`): every replica behind a load balancer sees the same rate-limit
 * windows, admin sessions and lock-outs, issuance history and block list. Keys live under `talosctl-oidc:`.
 */

import { randomBytes } from "node:crypto";
import type { Logger } from "../../shared/log.ts";
import { type Attempt, LOCKOUT_DEFAULTS } from "../admin/lockout.ts";
import { randomToken, type Session, SESSION_TTL_MS, sessionKey } from "../admin/sessions.ts";
import type { StateStoreConfig } from "../config_scale.ts";
import type { RateDecision } from "../middleware/sliding_window.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { connectRedis, type RedisConnection, type Script, script } from "./redis_connection.ts";
import { createRedisBlocks } from "./redis_blocks.ts";
import { createRedisHistory } from "./redis_history.ts";
import { ATTEMPT, HIT, LOCKED_FOR } from "./redis_scripts.ts";
import type { Limiter, LimitScope, StateStore } from "./types.ts";

/** Every key this server writes starts with this (use another database number to run two deployments on one store). */
const KEY_PREFIX = "talosctl-oidc:";

export interface RedisStoreOptions {
  config: StateStoreConfig;
  rateLimit: { readonly requests: number; readonly windowMs: number; readonly perSubject: number };
  /** state_store_fail_open: a limit the store cannot check lets the request through (logged) instead of 503. */
  failOpen: boolean;
  /**
   * This replica's wall clock (ms since the epoch): session, issuance and block times. Never the rate windows or the
   * lock-out: the scripts measure those on the store's clock, which every replica shares.
   */
  now: () => number;
  logger: Logger;
}

/** Connect and build the store; the server starts even while the store is unreachable (and fails closed). */
export async function createRedisStore(o: RedisStoreOptions): Promise<StateStore> {
  const redis = await connectRedis(o.config, o.logger);
  const [hit, attempt, lockedFor] = [await script(HIT), await script(ATTEMPT), await script(LOCKED_FOR)];
  const limiter = (scope: LimitScope, limit: number): Limiter | undefined => {
    if (limit === 0) return undefined;
    return {
      async hit(key) {
        const member = randomBytes(12).toString("base64url"); // unique: two requests in one millisecond both count
        const k = `${KEY_PREFIX}rl:${scope}:${key}`;
        try {
          const r = await redis.script(hit, [k, `${k}:reported`], [o.rateLimit.windowMs, limit, member]);
          return decision(r as number[]);
        } catch (err) {
          if (!o.failOpen || !isTalosOidcError(err, "ERR_STATE_STORE")) throw err;
          return { allowed: true, remaining: 0 }; // state_store_fail_open: the outage was logged when it began
        }
      },
    };
  };
  const limiters = { ip: limiter("ip", o.rateLimit.requests), subject: limiter("subject", o.rateLimit.perSubject) };
  const history = createRedisHistory(redis, { prefix: KEY_PREFIX, now: o.now, logger: o.logger });
  const blocks = await createRedisBlocks(redis, { prefix: KEY_PREFIX, now: o.now, logger: o.logger });
  return {
    name: redis.name,
    limiter: (scope) => limiters[scope],
    lockout: lockout(redis, { attempt, lockedFor }),
    sessions: sessions(redis, o.now),
    history,
    blocks,
    health: () => redis.health(),
    limiterEntries: () => 0,
    async close() {
      blocks.close();
      await redis.close();
    },
  };
}

function decision(r: number[]): RateDecision {
  return r[0] === 1
    ? { allowed: true, remaining: r[1]! }
    : { allowed: false, retryAfterMs: r[1]!, firstRejection: r[2] === 1 };
}

/** The admin lock-out, timed on the store's clock (both scripts read TIME). */
function lockout(redis: RedisConnection, scripts: { attempt: Script; lockedFor: Script }) {
  const key = (k: string) => `${KEY_PREFIX}lock:${k}`;
  const d = LOCKOUT_DEFAULTS;
  return {
    async lockedFor(k: string) {
      return Number(await redis.script(scripts.lockedFor, [key(k)], []));
    },
    async attempt(k: string, ok: boolean): Promise<Attempt> {
      const args = [ok ? 1 : 0, d.maxFailures - 1, d.baseLockMs, d.maxLockMs, d.forgetMs];
      const r = await redis.script(scripts.attempt, [key(k)], args) as number[];
      if (r[0] === 0) return { outcome: "locked", retryMs: r[1]! };
      return r[0] === 1 ? { outcome: "ok" } : { outcome: "failed", lockMs: r[1]! };
    },
  };
}

function sessions(redis: RedisConnection, now: () => number) {
  const key = (id: string) => `${KEY_PREFIX}session:${sessionKey(id)}`;
  return {
    async create() {
      const t = now(), id = randomToken(32);
      const session: Session = { csrf: randomToken(32), createdAt: t, expiresAt: t + SESSION_TTL_MS };
      await redis.send(["SET", key(id), JSON.stringify(session), "PX", SESSION_TTL_MS]);
      return { id, session };
    },
    async get(id: string | undefined) {
      if (!id || id.length > 128) return undefined;
      const raw = await redis.send(["GET", key(id)]);
      if (typeof raw !== "string") return undefined;
      const s = JSON.parse(raw) as Session;
      return s.expiresAt > now() ? s : undefined;
    },
    async destroy(id: string | undefined) {
      if (id) await redis.send(["DEL", key(id)]);
    },
  };
}
