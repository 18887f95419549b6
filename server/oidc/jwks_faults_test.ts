/** @module The issuer's keys under faults, against a real OpenID Provider: outages, key rotation, removed keys. */

import { fixedClock } from "../../shared/clock.ts";
import { assert, assertEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { startTestIdp, type TestIdp } from "../../tests/helpers/idp.ts";
import { invalidTokenReason } from "./invalid.ts";
import { createIdTokenVerifier, type IdTokenVerifierOptions } from "./verifier.ts";
import type { InvalidTokenReason } from "./types.ts";

const refusedFor = (reason: InvalidTokenReason) => (err: unknown) => invalidTokenReason(err) === reason;

async function world(idp: TestIdp, extra: Partial<IdTokenVerifierOptions> = {}) {
  const clock = fixedClock(new Date());
  const verifier = createIdTokenVerifier({
    issuer: idp.issuer,
    clientId: idp.clientId,
    now: clock.now,
    elapsed: clock.elapsed,
    ...extra,
  });
  assert(await verifier.warmUp());
  const mint = (options: Parameters<TestIdp["mint"]>[1] = {}) => {
    const iat = Math.floor(clock.now().getTime() / 1000);
    return idp.mint({ iat, exp: iat + 3600 }, options);
  };
  return { clock, verifier, mint };
}

Deno.test("IdP down: known kids verify from the cached keys; an unknown kid is jwks_unavailable (503), not a 401", async () => {
  await using idp = await startTestIdp();
  const { clock, verifier, mint } = await world(idp);
  const known = await mint();
  const stranger = await mint({ kid: "rotated-in-during-the-outage" });
  await idp.down("refuse");
  clock.advance(31_000);
  await assertRejects(() => verifier.verify(stranger), refusedFor("jwks_unavailable"));
  assertEquals((await verifier.verify(known)).claims.sub, "alice");
  assertEquals(verifier.outage()?.since, new Date(clock.now()));
  // A whole outage later the cached keys still serve, and nobody waits for the IdP.
  clock.advance(10 * 60_000);
  assertEquals((await verifier.verify(known)).claims.sub, "alice");
  assertEquals(await verifier.warmUp(), false); // the refresh that request started in the background
  await idp.up();
  assert(await verifier.warmUp());
  assertEquals(verifier.outage(), undefined);
  await assertRejects(() => verifier.verify(stranger), refusedFor("unknown_kid"));
});

Deno.test("IdP hanging: a request with a known kid never waits for the background refresh of a stale key set", async () => {
  await using idp = await startTestIdp();
  const { clock, verifier, mint } = await world(idp, { fetchTimeoutMs: 60_000 });
  const known = await mint();
  await idp.down("hang");
  clock.advance(301_000); // older than jwksMaxAgeMs: this request starts the refresh
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<string>((r) => (timer = setTimeout(() => r("waited for the IdP"), 2_000)));
  const first = await Promise.race([verifier.verify(known).then((v) => v.claims.sub), waited]);
  clearTimeout(timer);
  assertEquals(first, "alice");
  await idp.up(); // the held refresh is answered now
  assert(await verifier.warmUp());
});

Deno.test("rotation: a new kid verifies from its first token with one JWKS fetch, even right after a periodic refresh", async () => {
  await using idp = await startTestIdp();
  const { clock, verifier, mint } = await world(idp);
  const before = idp.hits.get("/jwks");
  clock.advance(301_000);
  await verifier.verify(await mint()); // the periodic refresh starts in the background
  assert(await verifier.warmUp()); // (joins it)
  const afterPeriodic = idp.hits.get("/jwks")!;
  assertEquals(afterPeriodic, before! + 1);
  idp.addKey(); // the IdP rotates 10 s after our last fetch, well inside the unknown-kid cool-down
  clock.advance(10_000);
  const fresh = await Promise.all(Array.from({ length: 50 }, (_, i) => mint().then((t) => ({ t, i }))));
  const results = await Promise.all(fresh.map(({ t }) => verifier.verify(t)));
  assertEquals(new Set(results.map((r) => r.kid)), new Set([idp.keys.RS256.kid]));
  assertEquals(idp.hits.get("/jwks"), afterPeriodic + 1, "50 tokens with the new kid, one fetch");
});

Deno.test("a removed key verifies during jwks_removed_key_grace after the fetch that found it gone, then not", async () => {
  await using idp = await startTestIdp();
  const { clock, verifier, mint } = await world(idp, { removedKeyGraceMs: 120_000 });
  const old = idp.addKey();
  const oldToken = await mint({ kid: old.kid, key: old.privateKey });
  assertEquals((await verifier.verify(oldToken)).kid, old.kid);
  idp.removeKey(old.kid);
  clock.advance(301_000);
  await verifier.verify(oldToken); // still the old set; this starts the refresh that finds the key gone
  assert(await verifier.warmUp());
  clock.advance(119_000);
  assertEquals((await verifier.verify(oldToken)).kid, old.kid, "within the grace");
  clock.advance(2_000);
  await assertRejects(() => verifier.verify(oldToken), refusedFor("unknown_kid"));
  assertEquals((await verifier.verify(await mint())).kid, idp.keys.RS256.kid);
});

Deno.test("without a grace (the default) a removed key stops verifying at the fetch that finds it gone", async () => {
  await using idp = await startTestIdp();
  const { clock, verifier, mint } = await world(idp);
  const old = idp.addKey();
  const oldToken = await mint({ kid: old.kid, key: old.privateKey });
  idp.removeKey(old.kid);
  clock.advance(301_000);
  await verifier.verify(oldToken);
  assert(await verifier.warmUp());
  await assertRejects(() => verifier.verify(oldToken), refusedFor("unknown_kid"));
});

Deno.test("an unknown kid within 30 s of the last fetch for one is judged on that key set (401), the IdP not asked", async () => {
  await using idp = await startTestIdp();
  const { clock, verifier, mint } = await world(idp);
  const stranger = await mint({ kid: "never-published" });
  await assertRejects(() => verifier.verify(stranger), refusedFor("unknown_kid")); // asks the IdP once
  const asked = idp.hits.get("/jwks");
  await idp.down("refuse");
  clock.advance(29_000); // the outage is not known yet: the cool-down holds the next fetch back
  await assertRejects(() => verifier.verify(stranger), refusedFor("unknown_kid"));
  assertEquals([idp.hits.get("/jwks"), verifier.outage()], [asked, undefined]);
  clock.advance(2_000); // past it, the next unknown kid asks, finds the IdP down, and is a 503 from then on
  await assertRejects(() => verifier.verify(stranger), refusedFor("jwks_unavailable"));
  await assertRejects(() => verifier.verify(stranger), refusedFor("jwks_unavailable"));
});

Deno.test("a removed key's grace runs on elapsed time: a wall clock stepped back 5 min does not stretch it", async () => {
  await using idp = await startTestIdp();
  const { clock, verifier } = await world(idp, { removedKeyGraceMs: 60_000 });
  const old = idp.addKey();
  const t = Math.floor(clock.now().getTime() / 1000);
  // Issued ten minutes ago: still valid on a clock set five minutes back.
  const oldToken = await idp.mint({ iat: t - 600, exp: t + 3600 }, { kid: old.kid, key: old.privateKey });
  idp.removeKey(old.kid);
  clock.advance(301_000);
  await verifier.verify(oldToken); // starts the refresh that finds the key gone: its grace starts now
  assert(await verifier.warmUp());
  clock.step(-5 * 60_000); // NTP or an admin sets the clock back
  clock.advance(61_000); // a minute and a second pass
  await assertRejects(() => verifier.verify(oldToken), refusedFor("unknown_kid"));
});
