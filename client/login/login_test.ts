/**
 * @module In-process tests of the login use case with injected adapters: a real IdP and exchange server, the
 * redirect walker as the browser, a fixed clock moved by the injected sleep — so `--watch` runs hours in milliseconds.
 * They assert on what runLogin returns, and on its log lines only where a line is the behaviour under test.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../tests/helpers/assert.ts";
import { startTestIdp } from "../../tests/helpers/idp.ts";
import { startTestServer } from "../../tests/helpers/server.ts";
import { makeHome } from "../../tests/helpers/cli.ts";
import { loginHarness, loginInput } from "../../tests/helpers/login_harness.ts";
import { EXISTING_TALOSCONFIG } from "../../tests/login_e2e_fixture.ts";
import { fixedClock } from "../../shared/clock.ts";
import { readContextCert } from "../talosconfig/cert.ts";
import { readTalosconfig } from "../talosconfig/read.ts";
import { cacheKeyFor } from "./cached_id_token.ts";
import { type LoginResult, renewalTime, runLogin } from "./login.ts";

Deno.test("login --watch renews at two thirds of the certificate's lifetime and stops on Ctrl-C with exit 0", async () => {
  const clock = fixedClock(new Date());
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp, clock });
  await using home = await makeHome();
  const caFile = join(home.path, "ca.pem");
  await Deno.writeTextFile(caFile, server.tlsCaPem!);
  const slept: number[] = [];
  const talosconfig = join(home.path, "talosconfig");
  const h = loginHarness({
    home: home.path,
    clock,
    sleep: async (ms) => {
      const cert = readContextCert((await readTalosconfig(talosconfig)).doc, "oidc")!;
      assertEquals(ms, renewalTime(cert).getTime() - clock.now().getTime()); // sleeps until 2/3 of the lifetime
      slept.push(ms);
      clock.advance(ms);
      if (slept.length === 3) h.controller.abort();
    },
  });
  const o = loginInput(idp, server, home.path, "--watch", "--server-ca", caFile, "--talosconfig", talosconfig);
  const result = await runLogin(o, h.deps);
  await h.walks();
  assertEquals(h.opened.length, 1);
  // Three renewals, each a new certificate: the first signed in through the browser, the next two reused its token.
  assertEquals(passes(result), [["renewed", "login"], ["renewed", "cache"], ["renewed", "cache"]]);
  assertEquals(result.interrupted, true);
  assert(slept.every((ms) => ms > 100_000 && ms < 300_000), `${slept}`);
  assertMatch(h.stderr.join(""), /Stopped watching\.\n$/);
});

Deno.test("login --watch --no-switch says once that the current context stays, and again only for another one", async () => {
  const clock = fixedClock(new Date());
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp, clock });
  await using home = await makeHome();
  const caFile = join(home.path, "ca.pem");
  await Deno.writeTextFile(caFile, server.tlsCaPem!);
  const talosconfig = join(home.path, "talosconfig");
  await Deno.writeTextFile(talosconfig, EXISTING_TALOSCONFIG, { mode: 0o600 });
  let sleeps = 0;
  const h = loginHarness({
    home: home.path,
    clock,
    sleep: async (ms) => {
      clock.advance(ms);
      if (++sleeps === 2) { // between renewals the user makes another context current (talosctl config context)
        const text = await Deno.readTextFile(talosconfig);
        const other = "context: staging\ncontexts:\n  staging:\n    endpoints: [10.0.1.1]\n";
        await Deno.writeTextFile(talosconfig, text.replace("context: prod\ncontexts:\n", other));
      }
      if (sleeps === 4) h.controller.abort();
    },
  });
  const o = loginInput(
    idp,
    server,
    home.path,
    "--watch",
    "--no-switch",
    "--server-ca",
    caFile,
    "--talosconfig",
    talosconfig,
  );
  const result = await runLogin(o, h.deps);
  await h.walks();
  assertEquals(result.attempts.map((a) => "pass" in a ? a.pass.outcome : String(a.error)), Array(4).fill("renewed"));
  assertEquals(h.stderr.join("").match(/^The current context stays .*$/gm), [
    'The current context stays "prod": use talosctl --context oidc.',
    'The current context stays "staging": use talosctl --context oidc.',
  ]);
  assertEquals((await readTalosconfig(talosconfig)).doc.get("context"), "staging");
});

Deno.test("login --watch backs off on errors and opens at most one browser tab, saying so", async () => {
  const clock = fixedClock(new Date());
  await using idp = await startTestIdp();
  await using home = await makeHome();
  const slept: number[] = [];
  // The user never finishes signing in: each interactive attempt times out.
  const h = loginHarness({
    home: home.path,
    clock,
    browser: () => Promise.resolve(),
    sleep: (ms) => {
      slept.push(ms);
      if (slept.length === 3) h.controller.abort();
      return Promise.resolve();
    },
  });
  h.deps.loginTimeoutMs = 50;
  await using server = await startTestServer({ idp, clock });
  const caFile = join(home.path, "ca.pem");
  await Deno.writeTextFile(caFile, server.tlsCaPem!);
  const o = loginInput(idp, server, home.path, "--watch", "--server-ca", caFile);
  const result = await runLogin(o, h.deps);
  assertEquals(h.opened.length, 1);
  assertEquals(slept, [10_000, 20_000, 40_000]);
  assertEquals(
    result.attempts.map((a) => "error" in a ? [(a.error as Error).message, a.retryInMs] : "pass"),
    [10_000, 20_000, 40_000].map((ms) => ["timed out after 50ms waiting for the login", ms]),
  );
  const log = h.stderr.join("");
  assertStringIncludes(log, "Renewal failed: timed out after 50ms waiting for the login. Retrying in 10s.\n");
  assertEquals(log.match(/Not opening another browser tab/g)?.length, 2);
});

Deno.test("login gets a new ID token once when the exchange server refuses the cached one, then writes", async () => {
  const now = new Date();
  await using idp = await startTestIdp();
  // The server's clock runs 20 minutes ahead: it refuses a token the client still counts as valid. (Plain http: its
  // self-signed TLS certificate would not be valid yet for the client.)
  const ahead = fixedClock(new Date(now.getTime() + 20 * 60_000));
  await using server = await startTestServer({ idp, clock: ahead, config: { insecure: true } });
  await using home = await makeHome();
  const h = loginHarness({ home: home.path });
  const input = (talosconfig: string) => loginInput(idp, server, home.path, "--insecure", "--talosconfig", talosconfig);
  const first = await runLogin(input(join(home.path, "a.yaml")), h.deps);
  await h.walks();
  assertEquals(passes(first), [["renewed", "login"]]);
  // Replace the cached ID token (keeping the real refresh token) with one valid for 10 more minutes.
  const key = cacheKeyFor(input(""));
  const cached = (await h.deps.tokenCache.get(key))!;
  const exp = Math.floor(now.getTime() / 1000) + 600;
  await h.deps.tokenCache.put(key, { ...cached, id_token: await idp.mint({ groups: ["talos-admins"], exp }) });

  const second = await runLogin(input(join(home.path, "b.yaml")), h.deps);
  assertEquals(passes(second), [["renewed", "refresh"]]);
  assertEquals(h.opened.length, 1, "the retry used the refresh token, not the browser");
  assertStringIncludes(h.stderr.join(""), "The exchange server refused the cached ID token; getting a new one.\n");
  const written = readContextCert((await readTalosconfig(join(home.path, "b.yaml"))).doc, "oidc");
  assertEquals(written?.notAfter, (second.attempts[0] as { pass: { cert: { notAfter: Date } } }).pass.cert.notAfter);
});

Deno.test("login does nothing while the certificate has more than a third of its lifetime left, and says until when", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp });
  await using home = await makeHome();
  const caFile = join(home.path, "ca.pem");
  await Deno.writeTextFile(caFile, server.tlsCaPem!);
  const h = loginHarness({ home: home.path });
  const input = loginInput(idp, server, home.path, "--server-ca", caFile, "--talosconfig", join(home.path, "t.yaml"));
  const first = await runLogin(input, h.deps);
  const again = await runLogin(input, h.deps);
  assertEquals([...passes(first), ...passes(again)], [["renewed", "login"], ["valid", undefined]]);
  const [a, b] = [first, again].map((r) => (r.attempts[0] as { pass: { cert: unknown; renewAt: Date } }).pass);
  assertEquals(b!.cert, a!.cert);
  assertEquals(b!.renewAt, renewalTime(b!.cert as { notBefore: Date; notAfter: Date }));
  assertEquals(h.opened.length, 1);
});

/** Each pass of a run as [outcome, where its ID token came from]; a failed attempt as its error message. */
function passes(r: LoginResult): unknown[] {
  return r.attempts.map((a) =>
    "pass" in a ? [a.pass.outcome, a.pass.outcome === "renewed" ? a.pass.tokenSource : undefined] : String(a.error)
  );
}
