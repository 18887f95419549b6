/** @module Fault: the server's wall clock steps by ±5 minutes (NTP, an admin) under a live server. */

import { X509Certificate } from "node:crypto";
import { fixedClock } from "../shared/clock.ts";
import { assertEquals } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { asExchangeResponse, createTestApp } from "./helpers/server.ts";

const MIN = 60_000;

Deno.test("clock step ±5 min: rate windows neither reset nor stretch; leeway still applies; NotBefore stays backdated", async () => {
  await using idp = await startTestIdp();
  const clock = fixedClock(new Date());
  await using t = await createTestApp({ idp, clock, config: { rate_limit_requests: 3, rate_limit_window: "1m" } });
  await t.deps.verifier.warmUp();
  const t0 = Math.floor(clock.now().getTime() / 1000);
  const token = await idp.mint({ iat: t0, exp: t0 + 330 });
  for (let i = 0; i < 3; i++) assertEquals((await t.exchange({ id_token: token })).status, 200);
  const limited = await t.exchange({ id_token: token });
  assertEquals([limited.status, limited.headers.get("retry-after")], [429, "60"]);

  clock.step(+5 * MIN); // the wall clock jumps forward: the client is still over its limit, not forgiven
  const ahead = await t.exchange({ id_token: token });
  assertEquals([ahead.status, ahead.headers.get("retry-after")], [429, "60"]);
  clock.step(-10 * MIN); // and back, 5 min behind: still one minute to wait, not six
  const behind = await t.exchange({ id_token: token });
  assertEquals([behind.status, behind.headers.get("retry-after")], [429, "60"]);
  clock.step(+5 * MIN);
  clock.advance(MIN + 1_000); // a real minute passes: the window has moved on
  const issued = await t.exchange({ id_token: token });
  assertEquals(issued.status, 200);

  // Tokens are judged by the wall clock with its 60 s leeway: exp 330 s after t0 passes at t0 + 61 s + 5 min.
  clock.step(+5 * MIN);
  const late = await t.exchange({ id_token: token });
  assertEquals(late.status, 200, "within the leeway");
  const cert = new X509Certificate(asExchangeResponse(await late.json()).cert);
  assertEquals(new Date(cert.validFrom).getTime(), Math.floor(clock.now().getTime() / 1000) * 1000 - MIN);
  clock.step(+MIN);
  const expired = await t.exchange({ id_token: token });
  assertEquals([expired.status, (await expired.json()).code], [401, "ERR_INVALID_TOKEN"]);
});
