/** @module Soak faults around the IdP and time: signing-key rotation, the IdP down, the server's clock stepped. */

import { ms } from "./faults_server.ts";
import { sleep } from "../../shared/sleep.ts";
import { type FaultRecord, firstOutcome, firstReady, type SoakWorld, startFault } from "./world.ts";

const MIN = 60_000;
/** Certificates a clock step is held for (at least), to judge their NotBefore on. */
const STEP_CERTIFICATES = 20;

/** Publish a new key and sign with it; remove the old one later while a trickle of old-kid tokens goes on. */
export async function rotationFault(w: SoakWorld, graceMs: number): Promise<FaultRecord> {
  const rec = startFault(w, {
    name: "signing-key rotation at the IdP",
    expected: "tokens with the new kid succeed from the first one (one JWKS refetch per event loop, not one per " +
      `request); tokens with the removed kid keep working until the server has seen the removal plus the grace ` +
      `(jwks_removed_key_grace ${graceMs / 1000} s), then 401`,
    kinds: ["removed_kid"],
  });
  const jwks0 = w.idp.hits.get("/jwks") ?? 0;
  const { kid: oldKid } = w.idp.addKey();
  w.rotateTokens();
  const rotatedAt = w.lastKidTraffic = rec.end = w.t();
  const first = await firstOutcome(w, rotatedAt, (o) => o.kind === "main", 10_000);
  const firstOk = await firstOutcome(w, rotatedAt, (o) => o.kind === "main" && o.status === 200, 30_000);
  rec.recoveredAt = firstOk?.at;
  rec.checks.push({
    what: "the first token with the new kid got a certificate",
    ok: first?.status === 200,
    detail: first ? `status ${first.status}${first.code ? ` ${first.code}` : ""}` : "none sent",
  });
  await sleep(w.scaled(30_000, 3_000));
  const refetches = (w.idp.hits.get("/jwks") ?? 0) - jwks0;
  rec.checks.push({
    what: "JWKS fetched once per event loop for the new kid, not per request",
    ok: refetches >= 1 && refetches <= 4,
    detail: `${refetches} JWKS fetches for ${
      w.load.outcomes.filter((o) => o.at >= rotatedAt && o.kind === "main").length
    } requests`,
  });
  w.idp.removeKey(oldKid);
  const removedAt = rec.removedAt = w.t();
  rec.notes.push(`old kid removed ${ms(removedAt - rotatedAt)} after the new one was published`);
  // A trickle of old-kid tokens: accepted until the server has seen the removal and the grace has passed, then 401.
  // It stops at its first refusal, or a while after the grace: each refusal may make the server ask the IdP.
  w.mix.removed_kid = 0.01;
  rec.settle = (async () => {
    const refused = await firstOutcome(
      w,
      removedAt,
      (o) => o.kind === "removed_kid" && o.status === 401,
      graceMs + w.scaled(60_000, 3_000),
    );
    w.mix.removed_kid = 0;
    await sleep(1_000);
    if (refused) w.lastKidTraffic = w.t();
  })();
  return rec;
}

/** After the run: when the removed kid stopped working, and that it never did so before its grace. */
export function judgeRemovedKid(w: SoakWorld, rec: FaultRecord, graceMs: number): void {
  const old = w.load.outcomes.filter((o) => o.kind === "removed_kid");
  const removedAt = rec.removedAt!;
  const refused = old.filter((o) => o.status === 401);
  // Early: answered (not merely sent) before the grace could have run out. The server counts the grace from when it
  // saw the removal (at or after removedAt); a request sent just before that end may be handled after it, seconds
  // later on a loaded machine, and is then rightly refused.
  const early = refused.filter((o) => o.at + o.ms < removedAt + graceMs);
  const firstRefusal = refused[0];
  rec.notes.push(
    `${old.length} removed-kid tokens after the removal: ${old.filter((o) => o.status === 200).length} accepted, ` +
      `${refused.length} refused (401)${
        firstRefusal ? `, the first ${ms(firstRefusal.at - removedAt)} after the removal (${firstRefusal.code})` : ""
      }${refused.length === 0 ? " (the server had not refreshed its JWKS since the removal)" : ""}`,
  );
  rec.checks.push({
    what: "no removed-kid token refused (answered) before the grace ran out",
    ok: early.length === 0,
    detail: `${early.length} refused early`,
  });
}

/** Step the server's wall clock +5 min, then -5 min, then back, under load. */
export async function clockStepFault(w: SoakWorld): Promise<FaultRecord> {
  const rec = startFault(w, {
    name: "clock step ±5 min on the server",
    expected: "tokens within their validity and leeway still pass (no error at all); certificates keep NotBefore " +
      "1 min before the server's (stepped) clock; rate windows run on elapsed time, so nothing resets or stalls",
  });
  const hold = w.scaled(20_000, 2_000);
  const steps: [number, number, number][] = []; // [offset, from, to]
  for (const offset of [5 * MIN, -5 * MIN]) {
    await w.server.stepClock(offset);
    const from = w.t();
    await sleep(hold);
    // Each step is judged on certificates both requested and received within it: on a loaded machine, where an
    // answer takes seconds, the step is held (up to 30 s more) until some are.
    const judged = () => w.load.outcomes.filter((o) => o.status === 200 && o.at >= from + 200).length;
    for (const until = w.t() + 30_000; judged() < STEP_CERTIFICATES && w.t() < until;) await sleep(100);
    steps.push([offset, from, w.t()]);
  }
  await w.server.stepClock(0);
  rec.end = rec.recoveredAt = w.t();
  for (const [offset, from, to] of steps) {
    const certs = w.load.outcomes.filter((o) => o.status === 200 && o.at >= from + 200 && o.at + o.ms <= to);
    // NotBefore is whole seconds, one minute before the server's clock when it signed (within the request).
    const off = certs.filter((o) => {
      const expected = w.epoch + o.at + offset - MIN;
      return o.notBefore! < expected - 2_000 || o.notBefore! > expected + o.ms + 1_000;
    });
    rec.checks.push({
      what: `certificates issued at ${offset > 0 ? "+" : ""}${
        offset / MIN
      } min carry NotBefore = stepped clock - 1 min`,
      ok: certs.length > 0 && off.length === 0,
      detail: `${certs.length} certificates, ${off.length} off`,
    });
  }
  return rec;
}

/** Make the IdP unreachable (connection refused) with known- and unknown-kid traffic, then bring it back. */
export async function idpDownFault(w: SoakWorld): Promise<FaultRecord> {
  const rec = startFault(w, {
    name: "IdP down (discovery and JWKS refused)",
    expected: "known kids keep succeeding from the cached JWKS; an unknown kid gets 503 ERR_DISCOVERY with " +
      "Retry-After (not 401); /readyz degraded, ready again after; no request hangs past its deadline",
    kinds: ["unknown_kid"],
  });
  // The server asks the IdP about an unknown kid at most once per 30 s: start when that cool-down is over, so the
  // first unknown kid finds the outage (within it, the answer is 401 on a key set fetched < 30 s ago).
  const wait = w.lastKidTraffic + 31_000 - w.t();
  if (wait > 0) await sleep(wait);
  rec.start = w.t();
  await w.idp.down("refuse");
  w.mix.unknown_kid = 0.02;
  await sleep(w.scaled(120_000, 12_000));
  await w.idp.up();
  rec.end = w.t();
  // Back when an unknown kid gets a verdict again (401: the server fetched the JWKS) and /readyz says ready.
  const verdict = await firstOutcome(w, rec.end, (o) => o.kind === "unknown_kid" && o.status === 401, 60_000);
  const ready = await firstReady(w, rec.end, (r) => r.state === "ready", 60_000);
  w.mix.unknown_kid = 0;
  rec.recoveredAt = verdict && ready ? Math.max(verdict.at, ready.at) : undefined;
  const unknown = w.load.outcomes.filter((o) => o.kind === "unknown_kid" && o.at >= rec.start && o.at < rec.end);
  rec.checks.push({
    what: "unknown kid during the outage: 503 ERR_DISCOVERY with Retry-After, never 401",
    ok: unknown.length > 0 && unknown.every((o) => o.status === 503 && o.code === "ERR_DISCOVERY" && o.retryAfter),
    detail: `${unknown.length} sent, ${unknown.filter((o) => o.status === 503).length} got 503`,
  });
  const degraded = await firstReady(w, rec.start, (r) => r.state === "degraded", 0);
  rec.checks.push({
    what: "/readyz degraded during the outage",
    ok: degraded !== undefined && degraded.at < rec.end,
    detail: degraded?.details?.oidc ?? "never degraded",
  });
  const slowest = w.load.outcomes.filter((o) => o.at >= rec.start && o.at < rec.end).reduce(
    (m, o) => Math.max(m, o.ms),
    0,
  );
  rec.checks.push({
    what: "no request hung past its deadline",
    ok: slowest < 10_000,
    detail: `slowest ${ms(slowest)}`,
  });
  return rec;
}
