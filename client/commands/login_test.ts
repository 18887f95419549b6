/**
 * @module In-process tests of `login` with injected adapters: a real IdP and exchange server, the redirect walker
 * as the browser, a fixed clock moved by the injected sleep — so `--watch` runs hours in milliseconds.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../../tests/helpers/assert.ts";
import { startTestIdp, type TestIdp } from "../../tests/helpers/idp.ts";
import { startTestServer, type TestServer } from "../../tests/helpers/server.ts";
import { walkLogin } from "../../tests/helpers/browser_walker.ts";
import { makeHome } from "../../tests/helpers/cli.ts";
import { parseFlags } from "../../shared/cli.ts";
import { type Clock, fixedClock } from "../../shared/clock.ts";
import { textLogger } from "../../shared/log.ts";
import { createTokenCache } from "../token_cache/token_cache.ts";
import { readContextCert } from "../talosconfig/cert.ts";
import { readTalosconfig } from "../talosconfig/read.ts";
import type { BrowserOpener } from "../browser.ts";
import { runLogin } from "./login.ts";
import type { LoginDeps } from "./login_deps.ts";
import { renewalTime } from "./login_once.ts";
import { loginSpec, toLoginOptions } from "./login_options.ts";
import { withProgress } from "./login_progress.ts";

interface Harness {
  deps: LoginDeps;
  stderr: string[];
  opened: string[];
  controller: AbortController;
}

function harness(home: string, clock: Clock, browser: (url: string) => void, sleep: LoginDeps["sleep"]): Harness {
  const stderr: string[] = [];
  const opened: string[] = [];
  const controller = new AbortController();
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, ".config") };
  const stdio = withProgress({ isTerminal: false, stdout: () => {}, stderr: (t) => void stderr.push(t) });
  const logger = textLogger({ write: (l) => void stderr.push(l + "\n") });
  const opener: BrowserOpener = {
    open(url) {
      opened.push(url);
      browser(url);
      return Promise.resolve({ command: "test", wait: () => Promise.resolve(true) });
    },
  };
  const deps: LoginDeps = {
    stdio,
    env,
    signal: controller.signal,
    clock,
    logger,
    tokenCache: createTokenCache({ env, logger, keychain: null }),
    browser: opener,
    platform: { os: "linux", env: { DISPLAY: ":0" }, wsl: false },
    sleep,
    loginTimeoutMs: 60_000,
  };
  return { deps, stderr, opened, controller };
}

function options(
  idp: TestIdp,
  server: TestServer | { url: string; tlsCaPem?: string },
  home: string,
  ...extra: string[]
) {
  const args = ["--provider", idp.issuer, "--client-id", idp.clientId, "--server", server.url, "--callback-port", "0"];
  return toLoginOptions(parseFlags(loginSpec, [...args, ...extra], { HOME: home }));
}

Deno.test("login --watch renews at two thirds of the certificate's lifetime and stops on Ctrl-C with exit 0", async () => {
  const clock = fixedClock(new Date());
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp, clock });
  await using home = await makeHome();
  const caFile = join(home.path, "ca.pem");
  await Deno.writeTextFile(caFile, server.tlsCaPem!);
  const slept: number[] = [];
  const talosconfig = join(home.path, "talosconfig");
  let walk: Promise<unknown> = Promise.resolve();
  const h = harness(home.path, clock, (url) => void (walk = walkLogin(url)), async (ms) => {
    const cert = readContextCert((await readTalosconfig(talosconfig)).doc, "oidc")!;
    assertEquals(ms, renewalTime(cert).getTime() - clock.now().getTime()); // sleeps until 2/3 of the lifetime
    slept.push(ms);
    clock.advance(ms);
    if (slept.length === 3) h.controller.abort();
  });
  const o = options(idp, server, home.path, "--watch", "--server-ca", caFile, "--talosconfig", talosconfig);
  assertEquals(await runLogin(o, h.deps), 0);
  await walk;
  const log = h.stderr.join("");
  assertEquals(h.opened.length, 1);
  assertEquals(log.match(/Received a Talos client certificate/g)?.length, 3);
  assertEquals(log.match(/Using the cached ID token/g)?.length, 2);
  assert(slept.every((ms) => ms > 100_000 && ms < 300_000), `${slept}`);
  assertMatch(log, /Stopped watching\.\n$/);
});

Deno.test("login --watch backs off on errors and opens at most one browser tab, saying so", async () => {
  const clock = fixedClock(new Date());
  await using idp = await startTestIdp();
  await using home = await makeHome();
  const slept: number[] = [];
  // The user never finishes signing in: each interactive attempt times out.
  const h = harness(home.path, clock, () => {}, (ms) => {
    slept.push(ms);
    if (slept.length === 3) h.controller.abort();
    return Promise.resolve();
  });
  h.deps.loginTimeoutMs = 50;
  const o = options(idp, { url: "https://127.0.0.1:9" }, home.path, "--watch");
  assertEquals(await runLogin(o, h.deps), 0);
  const log = h.stderr.join("");
  assertEquals(h.opened.length, 1);
  assertEquals(slept, [10_000, 20_000, 40_000]);
  assertEquals(log.match(/Not opening another browser tab/g)?.length, 2);
  assertEquals(log.match(/Renewal failed: timed out after 50ms waiting for the login\. Retrying in/g)?.length, 3);
});
