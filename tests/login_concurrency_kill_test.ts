/**
 * @module 20 `login` processes at once, each writing its own context into one talosconfig, a third of them SIGKILLed
 * mid-way: the file always parses, the context nobody asked for is untouched, no lock left by the dead blocks anyone.
 */

import { join } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { browserCommand, runCli, spawnCli } from "./helpers/cli.ts";
import { loginInput } from "./helpers/login_harness.ts";
import { cacheKeyFor } from "../client/login/cached_id_token.ts";
import { contextNames, getContext, readTalosconfig } from "../client/talosconfig/read.ts";
import { createTokenCache } from "../client/token_cache/token_cache.ts";
import { nullLogger } from "../shared/log.ts";
import { EXISTING_TALOSCONFIG, startLoginWorld } from "./login_e2e_fixture.ts";

const N = 20;
const SCOPES = ["--scopes", "openid,email,groups,offline_access"];

Deno.test("20 concurrent logins plus kills: the talosconfig parses, unrelated contexts are untouched, the next login is not blocked", async () => {
  await using w = await startLoginWorld();
  await Deno.mkdir(join(w.home, ".talos"), { recursive: true });
  await Deno.writeTextFile(w.talosconfig, EXISTING_TALOSCONFIG, { mode: 0o600 });
  // One sign-in through the browser; its cached tokens are then filed under each context the logins will write
  // (the cache is per context), so none of them needs a browser: a zero browser fails any that opens one.
  const seed = await runCli(w.args("--browser-command", browserCommand("walk")), { home: w.home });
  assertEquals(seed.code, 0, seed.stderr);
  const env = { HOME: w.home, XDG_CONFIG_HOME: join(w.home, ".config") };
  const cache = createTokenCache({ env, logger: nullLogger, keychain: null });
  const input = (...extra: string[]) => loginInput(w.idp, w.server, w.home, ...SCOPES, ...extra);
  const tokens = (await cache.get(cacheKeyFor(input())))!;
  assert(tokens, "the seed login cached its tokens");
  for (let i = 0; i < N; i++) await cache.put(cacheKeyFor(input("--context-name", `ctx-${i}`)), tokens);
  const unrelated = getContext((await readTalosconfig(w.talosconfig)).doc, "prod");
  const zero = browserCommand("zero");

  const clis = Array.from(
    { length: N },
    (_, i) => spawnCli(w.args("--browser-command", zero, "--context-name", `ctx-${i}`), { home: w.home }),
  );
  // Every third one is killed, at staggered moments: loading, reading the cache, exchanging, writing.
  const killed = new Set<number>();
  await Promise.all(clis.map(async (cli, i) => {
    if (i % 3 !== 0) return;
    await new Promise((r) => setTimeout(r, 150 * (i / 3 + 1)));
    cli.kill("SIGKILL");
    killed.add(i);
  }));
  const results = await Promise.all(clis.map((c) => c.result));
  for (const [i, r] of results.entries()) {
    if (!killed.has(i)) assertEquals(r.code, 0, `login ${i}: ${r.stderr}`);
  }

  const after = await readTalosconfig(w.talosconfig); // parses: never a torn or interleaved file
  assertEquals(getContext(after.doc, "prod"), unrelated, "the context no login asked for is untouched");
  assert(after.text.startsWith("# my clusters — keep this comment\n"), "the user's comment is kept");
  assert(after.text.includes("      - 10.0.0.1 # the VIP\n"), "and the comment inside the unrelated context");
  for (let i = 0; i < N; i++) {
    const c = getContext(after.doc, `ctx-${i}`);
    // A killed login wrote its context whole or not at all; every other one wrote it.
    if (!killed.has(i) || c) assert(c?.crt && c.key && c.ca, `ctx-${i} is missing or not whole`);
  }
  assertEquals(contextNames(after.doc).filter((n) => !/^(prod|oidc|ctx-\d+)$/.test(n)), []);

  // The dead may have left their locks (talosconfig, token cache) behind: the next login goes through anyway.
  await cache.put(cacheKeyFor(input("--context-name", "after")), tokens);
  const next = await runCli(w.args("--browser-command", zero, "--context-name", "after"), { home: w.home });
  assertEquals(next.code, 0, next.stderr);
  assert(getContext((await readTalosconfig(w.talosconfig)).doc, "after")?.crt);
});
