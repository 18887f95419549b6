/**
 * @module What the owner thread answers its workers: every state store operation, the audit chain (written in the
 * order the events arrive), the auth-failure aggregator, log lines and the summed /metrics.
 */

import type { Level } from "../../shared/log.ts";
import type { SharedDeps } from "../deps.ts";
import { STORE_CALLS } from "../state/remote_store.ts";
import type { LimitScope } from "../state/types.ts";
import type { Handler } from "./channel.ts";
import { OWNER_CALLS } from "./protocol.ts";

/** The handler table for every worker's channel; `metricsText` sums every thread's metrics at scrape time. */
export function ownerHandlers(shared: SharedDeps, metricsText: () => Promise<string>): Record<string, Handler> {
  const { state, audit, logger } = shared;
  const c = STORE_CALLS;
  return {
    [c.hit]: (scope: LimitScope, key: string) => {
      const limiter = state.limiter(scope);
      if (!limiter) throw new TypeError(`the ${scope} limit is off`);
      return limiter.hit(key);
    },
    [c.lockedFor]: (key: string) => state.lockout.lockedFor(key),
    [c.attempt]: (key: string, ok: boolean) => state.lockout.attempt(key, ok),
    [c.createSession]: () => state.sessions.create(),
    [c.getSession]: (id: string) => state.sessions.get(id),
    [c.destroySession]: (id: string) => state.sessions.destroy(id),
    [c.stats]: () => state.history.stats(),
    [c.certs]: (options: { all?: boolean }) => state.history.certs(options),
    [c.series]: (bucketMs: number, buckets: number) => state.history.issuanceSeries(bucketMs, buckets),
    [c.addBlock]: (input) => state.blocks.add(input),
    [c.removeBlock]: (id: string) => state.blocks.remove(id),
    [c.listBlocks]: () => state.blocks.list(),
    // Written as they arrive: one chain for the process, each worker's events in the order it sent them.
    [OWNER_CALLS.audit]: (event) => audit.write(event),
    [OWNER_CALLS.written]: (records) => shared.announceAudit(records),
    [OWNER_CALLS.missed]: (types: string[], error: string) => audit.missed(types, error),
    [OWNER_CALLS.committed]: () => audit.committed(),
    [OWNER_CALLS.auditHead]: () => audit.lastHash(),
    [OWNER_CALLS.authFailure]: (event) => shared.authFailures.report(event),
    [OWNER_CALLS.log]: (level: Level, msg: string, fields: Record<string, unknown>) => logger[level](msg, fields),
    [OWNER_CALLS.metrics]: metricsText,
  };
}
