/** @module `talosctl-oidc serve` as a real subprocess: --help, exit 2 on bad config, graceful shutdown on SIGTERM. */

import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { createDevCa } from "./helpers/dev_ca.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { serveEnv } from "./helpers/server.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DENO = Deno.execPath();

/** `serve` as a subprocess; with `ulimit`, under that open-file limit (set by sh, then exec'd). */
function spawnServe(env: Record<string, string>, args: string[] = [], ulimit?: number): Deno.ChildProcess {
  const argv = ["run", "-A", "main.ts", "serve", ...args];
  return new Deno.Command(ulimit ? "sh" : DENO, {
    args: ulimit ? ["-c", `ulimit -n ${ulimit} && exec "$0" "$@"`, DENO, ...argv] : argv,
    cwd: ROOT,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      NO_COLOR: "1",
      RUST_BACKTRACE: "0",
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Lines of a stream as they arrive; `until` resolves with the first line matching. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const done = (async () => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        for (const w of [...waiters]) if (w.re.test(line)) waiters.splice(waiters.indexOf(w), 1), w.resolve(line);
      }
    }
    if (buf) lines.push(buf);
    for (const w of waiters) w.resolve("");
  })();
  return {
    lines,
    done,
    until(re: RegExp): Promise<string> {
      const hit = lines.find((l) => re.test(l));
      return hit !== undefined ? Promise.resolve(hit) : new Promise((resolve) => waiters.push({ re, resolve }));
    },
  };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("serve --help lists the config flag, the environment variables and an example", async () => {
  const out = await new Deno.Command(DENO, { args: ["run", "-A", "main.ts", "serve", "--help"], cwd: ROOT }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0);
  assertStringIncludes(text, "-c, --config PATH");
  assertStringIncludes(text, "env TALOSCTL_OIDC_CONFIG");
  assertStringIncludes(text, "TALOSCTL_OIDC_ISSUER_URL");
  assertStringIncludes(text, "Examples:\n  talosctl-oidc serve -c /etc/talosctl-oidc/config.yaml");
});

Deno.test("serve exits 2 listing every configuration problem and never listens", async () => {
  const port = freePort();
  const child = spawnServe({
    TALOSCTL_OIDC_LISTEN: `127.0.0.1:${port}`,
    TALOSCTL_OIDC_CLIENT_ID: "talosctl",
    TALOSCTL_OIDC_CERT_TTL: "48h",
    TALOSCTL_OIDC_ROLES: "os:admin,os:impersonator",
    TALOSCTL_OIDC_TLS_CERT: "/etc/nonexistent.crt",
    TALOSCTL_OIDC_INSECURE: "true",
    TALOSCTL_OIDC_RATE_LIMIT_REQUESTS: "lots",
    HOME: "/nonexistent", // no ~/.talos/config: the talos_api credential is missing too
  });
  const { code, stderr, stdout } = await child.output();
  const text = new TextDecoder().decode(stderr);
  assertEquals(code, 2, text);
  assertEquals(new TextDecoder().decode(stdout), "");
  // log_format json (the default): the problems are a log line like every other, not plain text.
  const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l));
  const error = lines.find((l) => l.level === "error");
  assertMatch(error.msg, /^invalid configuration \(\d+ problems\)$/);
  const problems = (error.problems as string[]).join("\n");
  for (
    const key of [
      "issuer_url",
      "endpoints",
      "cert_ttl",
      "roles",
      "tls_key",
      "insecure",
      "rate_limit_requests",
      "talos_config",
    ]
  ) {
    assertMatch(problems, new RegExp(`^${key} / TALOSCTL_OIDC_${key.toUpperCase()}: `, "m"));
  }
  assertStringIncludes(problems, "talos-role gRPC metadata");
  assertStringIncludes(error.hint, "talosctl-oidc serve --help");
  assert(!text.includes("listening"), text);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port }).then((c) => (c.close(), true), () => false);
  assertEquals(conn, false, "nothing listens on the configured port");
});

Deno.test("serve refuses a config whose rbac key is mistyped (rbac.rule): nobody becomes os:admin by accident", async () => {
  const ca = await createDevCa("ed25519");
  const dir = await Deno.makeTempDir({ prefix: "serve-cli-" });
  try {
    const path = `${dir}/config.yaml`;
    await Deno.writeTextFile(path, "rbac:\n  rule:\n    - { claim: groups, value: talos-admins, roles: [os:admin] }\n");
    const env = {
      ...serveEnv({ issuer: "http://127.0.0.1:1", clientId: "talosctl" }, ca),
      TALOSCTL_OIDC_ROLES: "",
      TALOSCTL_OIDC_LOG_FORMAT: "text", // the plain list a person reads
    };
    const child = spawnServe(env, ["-c", path]);
    const err = lineReader(child.stderr);
    await child.stdout.cancel();
    // Old versions started (everyone os:admin): stop such a server instead of waiting for it.
    const first = await Promise.race([child.status, err.until(/listening on/)]);
    if (typeof first === "string") child.kill("SIGKILL");
    const { code } = await child.status;
    await err.done;
    const text = err.lines.join("\n");
    assertEquals(code, 2, text);
    assertStringIncludes(text, '  - rbac.rule: unknown key; did you mean "rules"?\n');
    assertStringIncludes(text, "  - roles / TALOSCTL_OIDC_ROLES: no roles configured");
    assertStringIncludes(text, "roles: [os:admin]");
    assertMatch(text, /^error: invalid configuration \(2 problems\):\n/m);
    assert(!text.includes("RBAC: disabled"), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve with a YAML error: the parser's message, no quote; one JSON line, or text as the env or the file says", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serve-cli-" });
  try {
    const path = `${dir}/config.yaml`;
    await Deno.writeTextFile(path, "admin_token: hunter2-secret-value\nendpoints: [10.0.0.1\n");
    const json = await spawnServe({}, ["-c", path]).output();
    const line = JSON.parse(new TextDecoder().decode(json.stderr).trim());
    assertEquals([json.code, line.level, line.msg], [2, "error", "invalid configuration (1 problem)"]);
    assertMatch(line.problems[0], /config\.yaml": invalid YAML at line \d+: Flow sequence in block collection/);
    const text = await spawnServe({ TALOSCTL_OIDC_LOG_FORMAT: "text" }, ["-c", path]).output();
    const said = new TextDecoder().decode(text.stderr);
    assertMatch(
      said,
      /^error: invalid configuration \(1 problem\):\n {2}- parsing config file ".*": invalid YAML at line/,
    );
    assert(!said.includes("hunter2") && !JSON.stringify(line).includes("hunter2"));
    // The file's own top-level log_format line still counts when the rest of it is not YAML (best effort).
    await Deno.writeTextFile(path, "log_format: text\nadmin_token: hunter2-secret-value\nendpoints: [10.0.0.1\n");
    const own = await spawnServe({}, ["-c", path]).output();
    const ownSaid = new TextDecoder().decode(own.stderr);
    assertEquals(own.code, 2);
    assertMatch(
      ownSaid,
      /^error: invalid configuration \(1 problem\):\n {2}- parsing config file ".*": invalid YAML at line \d+: Flow/,
    );
    assert(!ownSaid.includes("hunter2"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve warns at start when the open-file limit leaves a connection burst no room, and not with room", async () => {
  await using idp = await startTestIdp();
  const ca = await createDevCa("ed25519");
  for (const [limit, warned] of [[600, true], [4096, false]] as const) {
    const child = spawnServe({ ...serveEnv(idp, ca), TALOSCTL_OIDC_LOG_FORMAT: "json" }, [], limit);
    const err = lineReader(child.stderr), out = lineReader(child.stdout);
    await err.until(/Cert exchange server listening on/);
    child.kill("SIGTERM");
    await child.status;
    await Promise.all([err.done, out.done]);
    const warning = err.lines.find((l) => l.includes("open-file limit"));
    assertEquals(warning !== undefined, warned, `ulimit -n ${limit}: ${warning ?? "no warning"}`);
    if (warned) {
      const line = JSON.parse(warning!);
      assertEquals(line.level, "warn");
      assertStringIncludes(line.msg, `(ulimit -n) is ${limit}, too close to max_connections 1024`);
    }
  }
});

Deno.test("serve finishes an in-flight exchange after SIGTERM, refuses new connections and exits 0", async () => {
  await using idp = await startTestIdp();
  const ca = await createDevCa("ed25519");
  const child = spawnServe(serveEnv(idp, ca));
  const err = lineReader(child.stderr), out = lineReader(child.stdout);
  const listening = JSON.parse(await err.until(/Cert exchange server listening on/));
  const caLine = JSON.parse(await err.until(/Self-signed CA PEM/));
  const caPem = caLine.msg.slice(caLine.msg.indexOf("-----BEGIN"));
  using client = Deno.createHttpClient({ caCerts: [caPem], http2: false });
  const url = `${listening.url}/exchange`;
  assertEquals(await (await fetch(`${listening.url}/healthz`, { client })).text(), "ok");

  // Start an exchange whose body is only half sent, then ask the server to stop.
  const body = JSON.stringify({ id_token: await idp.mint({ email: "alice@example.com", email_verified: true }) });
  const parts = new TransformStream<Uint8Array, Uint8Array>();
  const writer = parts.writable.getWriter();
  // A failure is kept for the assertion below rather than left as an unhandled rejection.
  const pending = fetch(url, { method: "POST", body: parts.readable, client }).catch((e: unknown) => e);
  await writer.write(new TextEncoder().encode(body.slice(0, 20)));
  await err.until(/"level":"info".*OIDC issuer keys loaded/);
  // The signal must come after the server has the request's first bytes: a keep-alive connection with no request
  // yet is idle, and shutting down closes idle connections (as Go's Shutdown does). A round trip on another
  // connection, sent after those bytes, lets the server read them first.
  using other = Deno.createHttpClient({ caCerts: [caPem] });
  assertEquals(await (await fetch(`${listening.url}/healthz`, { client: other })).text(), "ok");
  child.kill("SIGTERM");
  await err.until(/Received signal, shutting down/);
  using fresh = Deno.createHttpClient({ caCerts: [caPem] });
  const refused = await fetch(`${listening.url}/healthz`, { client: fresh }).then(() => false, () => true);
  assert(refused, "a new connection after the signal is refused");
  await writer.write(new TextEncoder().encode(body.slice(20)));
  await writer.close();
  const res = await pending;
  assert(res instanceof Response, `the in-flight exchange failed: ${res}`);
  assertEquals(res.status, 200);
  assertMatch((await res.json()).cert, /BEGIN CERTIFICATE/);

  const status = await child.status;
  await Promise.all([err.done, out.done]);
  assertEquals(status.code, 0, err.lines.join("\n"));
  assert(err.lines.some((l) => l.includes("Server stopped gracefully.")));
  const audit = out.lines.map((l) => JSON.parse(l));
  assertEquals(audit.map((e) => e.type), ["auth_success", "cert_issued"]);
});
