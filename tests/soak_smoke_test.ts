/**
 * @module `deno task soak --minutes 1` as a smoke test: every fault of the soak once (SIGKILL, key rotation, clock
 * step, audit disk full, slow clients, IdP down) under a steady load; asserts the invariants, never a timing.
 */

import { runSoak } from "./soak/soak.ts";
import { invariants, summaryText } from "./soak/summary.ts";
import { assert } from "./helpers/assert.ts";

Deno.test("soak, 1 minute: no error outside the faults, each fault recovers, nothing lost", async () => {
  // 200/s rather than the soak's 500: the suite runs its files in parallel on the same cores.
  const result = await runSoak({ minutes: 1, rate: 200 });
  const failed = invariants(result).filter((i) => !i.ok);
  assert(failed.length === 0, `invariants failed:\n${summaryText(result)}`);
  assert(result.faults.length === 6);
  // Only the audit disk fault may be skipped, and only where a tmpfs cannot be mounted (not root).
  if (Deno.uid() === 0) assert(result.faults.every((f) => f.skipped === undefined), summaryText(result));
});
