/**
 * @module What `kube token` loads before it answers from the cache: the static module graph of main.ts and of the
 * command (deno info), held free of node: builtins, npm packages and the sign-in machinery. kubectl runs the plugin
 * for each of its commands; bench/REPORT.md (login_bench) has the time this keeps off every call.
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertEquals } from "./helpers/assert.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/**
 * Every module reachable from `roots` through static imports (dynamic ones load only when their code runs). The
 * roots must be main.ts or modules main.ts imports (deno info reads main.ts's whole graph, dynamic imports included).
 */
async function staticGraph(roots: string[]): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", join(ROOT, "main.ts")],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr)}`);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const walk = (specifier: string) => {
    if (seen.has(specifier)) return;
    seen.add(specifier);
    for (const d of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (!d.isDynamic && d.code) walk(d.code.specifier);
    }
  };
  for (const r of roots) walk(new URL(r, `file://${ROOT}`).href);
  return new Set([...seen].map((s) => s.startsWith(`file://${ROOT}`) ? s.slice(`file://${ROOT}`.length) : s));
}

Deno.test("kube token loads no node: builtin, no npm package and no sign-in machinery before reading the cache", async () => {
  const graph = await staticGraph(["main.ts", "client/commands/kube_token.ts"]);
  // The first node: import starts Deno's node compatibility layer: milliseconds on every kubectl call.
  assertEquals([...graph].filter((s) => s.startsWith("node:")), []);
  assertEquals([...graph].filter((s) => s.startsWith("npm:") || s.includes("/node_modules/")), []);
  const heavy = [
    "client/oidc/discovery.ts",
    "client/oidc/id_token.ts",
    "client/oidc/refresh.ts",
    "client/oidc/token_endpoint.ts",
    "client/oidc/auth_code.ts",
    "client/oidc/device_flow.ts",
    "client/oidc/callback_server.ts",
    "client/login/interactive.ts",
    "client/exchange_client.ts",
    "client/profiles.ts",
    "shared/atomic_write.ts",
    "client/token_cache/secret_service.ts",
    "client/token_cache/macos.ts",
    "client/token_cache/windows.ts",
    "shared/version.ts",
    // The cached token is read without the lock (client/login/cached_id_token.ts) and with only the adapters that
    // takes (client/commands/kube_token.ts): the lock, the locked use case (refresh, sign-in), the sign-in's other
    // adapters (spinner, browser opener, sleep, login deadline) load only when the cache does not answer.
    "client/file_lock.ts",
    "client/login/id_token.ts",
    "client/login/deps.ts",
    "client/login/run.ts",
    "client/login/progress.ts",
    "client/oidc/deadline.ts",
    "client/browser.ts",
    "shared/sleep.ts",
    "shared/duration.ts",
  ];
  assertEquals(heavy.filter((m) => graph.has(m)), []);
  // Sanity: the walk did follow the command's own static imports.
  const expected = [
    "client/token_cache/token_cache.ts",
    "client/token_cache/file_store.ts",
    "client/login/cached_id_token.ts",
  ];
  assertEquals(expected.filter((m) => !graph.has(m)), []);
});
