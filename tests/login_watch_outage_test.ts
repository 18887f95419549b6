/**
 * @module `login --watch` through outages: the IdP gone for minutes (renewals go on with the cached ID token), then
 * the exchange server gone too (renewals fail and back off), then both back: renewal resumes without a browser.
 * In process, with a real IdP, a real server restarted on the same port and data_dir, and a fixed clock.
 */

import { join } from "node:path";
import { fixedClock } from "../shared/clock.ts";
import { type LoginResult, runLogin } from "../client/login/login.ts";
import { readContextCert } from "../client/talosconfig/cert.ts";
import { readTalosconfig } from "../client/talosconfig/read.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { makeHome } from "./helpers/cli.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { loginHarness, loginInput } from "./helpers/login_harness.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const MIN = 60_000;

function outcomes(r: LoginResult): string[] {
  return r.attempts.map((a) =>
    "pass" in a ? `${a.pass.outcome} ${"tokenSource" in a.pass ? a.pass.tokenSource : ""}`.trim() : "error"
  );
}

Deno.test("login --watch survives the IdP and then the server going away for minutes, and resumes renewing", async () => {
  const clock = fixedClock(new Date());
  await using idp = await startTestIdp();
  await using home = await makeHome();
  const dataDir = join(home.path, "server-data");
  const start = (listen: string) =>
    startTestServer({ idp, clock, config: { listen, data_dir: dataDir, rate_limit_requests: 0 } });
  let server: TestServer = await start("127.0.0.1:0");
  const listen = `127.0.0.1:${new URL(server.url).port}`;
  const caFile = join(home.path, "ca.pem");
  await Deno.writeTextFile(caFile, server.tlsCaPem!);
  const talosconfig = join(home.path, "talosconfig");
  const notAfter = async () => readContextCert((await readTalosconfig(talosconfig)).doc, "oidc")!.notAfter.getTime();
  let phase = "up", downSince = 0, sleeps = 0;
  const renewedAt: number[] = [];
  const h = loginHarness({
    home: home.path,
    clock,
    sleep: async (ms) => {
      sleeps++;
      clock.advance(ms);
      if (phase === "up" && sleeps === 1) {
        await idp.down("refuse"); // the IdP goes first: renewals go on with the cached ID token
        phase = "idp down";
      } else if (phase === "idp down" && sleeps === 3) {
        await server.close(); // then the exchange server: renewals fail, the loop backs off
        phase = "both down";
        downSince = clock.now().getTime();
      } else if (phase === "both down" && clock.now().getTime() - downSince >= 5 * MIN) {
        await idp.up();
        server = await start(listen); // same port, same data_dir: the same TLS CA the client pinned
        phase = "back";
      } else if (phase === "back") {
        renewedAt.push(await notAfter());
        h.controller.abort();
      }
    },
  });
  try {
    const o = loginInput(idp, server, home.path, "--watch", "--server-ca", caFile, "--talosconfig", talosconfig);
    const result = await runLogin(o, h.deps);
    await h.walks();
    const seen = outcomes(result);
    assertEquals(
      seen.slice(0, 3),
      ["renewed login", "renewed cache", "renewed cache"],
      "renewed through the IdP outage",
    );
    const errors = seen.slice(3, -1);
    assert(errors.length >= 4 && errors.every((e) => e === "error"), `failed while the server was away: ${seen}`);
    assertEquals(seen.at(-1), "renewed cache", "renewal resumed, with the cached ID token");
    assertEquals(h.opened.length, 1, "one browser sign-in in all");
    assertEquals(result.interrupted, true);
    assert(renewedAt[0]! > clock.now().getTime(), "the talosconfig holds a certificate valid after the outage");
    const delays = result.attempts.flatMap((a) => "error" in a ? [a.retryInMs] : []);
    assertEquals(delays.slice(0, 4), [10_000, 20_000, 40_000, 80_000], "backing off while the server is away");
  } finally {
    await server.close();
  }
});
