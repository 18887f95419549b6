/**
 * @module `workers: N` over real TLS with real worker threads on one port: limits exact across the threads under
 * concurrent load, one audit chain that `audit verify` accepts (each thread appending its own lines: a worker issues
 * while the owner thread is busy), admin sessions shared, and shutdown drains them all.
 */

import { join } from "node:path";
import { auditVerify } from "./helpers/cli.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { startTestIdp, type TestIdp } from "./helpers/idp.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

/** POST /exchange on a connection of its own (a fresh client each), so the kernel spreads them over the workers. */
async function exchangeOwnConnection(server: TestServer, idToken: string | Promise<string>): Promise<number> {
  using client = Deno.createHttpClient({ caCerts: [server.tlsCaPem!], http2: false });
  const res = await fetch(`${server.url}/exchange`, {
    method: "POST",
    body: JSON.stringify({ id_token: await idToken }),
    client,
  });
  await res.body?.cancel();
  return res.status;
}

/** Worker numbers that answered, from the "Issued ephemeral certificate" log lines (each carries its worker). */
function issuingWorkers(server: TestServer): Set<number> {
  return new Set(
    server.logs.map((l) => JSON.parse(l)).filter((l) => l.msg?.startsWith("Issued ephemeral")).map((l) => l.worker),
  );
}

async function twoWorkers(idp: TestIdp, config: Record<string, unknown>): Promise<TestServer> {
  const server = await startTestServer({ idp, config: { workers: 2, ...config } });
  assertEquals(server.server.workers, 2);
  return server;
}

Deno.test("workers: 2 admits exactly rate_limit_requests per client address across both threads", async () => {
  await using idp = await startTestIdp();
  await using server = await twoWorkers(idp, { rate_limit_requests: 10 });
  const statuses = await Promise.all(Array.from({ length: 24 }, () => exchangeOwnConnection(server, idp.mint())));
  assertEquals([statuses.filter((s) => s === 200).length, statuses.filter((s) => s === 429).length], [10, 14]);
  assertEquals(server.audit.filter((e) => e.type === "cert_issued").length, 10, "no over-admission");
});

Deno.test("workers: 2 holds the per-subject limit across threads and client addresses", async () => {
  await using idp = await startTestIdp();
  await using server = await twoWorkers(idp, { rate_limit_requests: 0, rate_limit_per_subject: 4 });
  const statuses = await Promise.all(
    Array.from({ length: 24 }, () => exchangeOwnConnection(server, idp.mint({ sub: "carol" }))),
  );
  assertEquals(statuses.filter((s) => s === 200).length, 4);
  assertEquals(statuses.filter((s) => s === 429).length, 20);
  const other = await exchangeOwnConnection(server, idp.mint({ sub: "dave" }));
  assertEquals(other, 200, "another subject is not held up");
});

Deno.test("workers: 2 write one hash chain that `audit verify` accepts, every event in it", async () => {
  await using idp = await startTestIdp();
  const dir = await Deno.makeTempDir({ prefix: "workers-audit-" });
  try {
    const path = join(dir, "audit.jsonl");
    const server = await twoWorkers(idp, { audit_log: path, rate_limit_requests: 0 });
    const good = Array.from({ length: 30 }, () => exchangeOwnConnection(server, idp.mint()));
    const bad = Array.from({ length: 10 }, () => exchangeOwnConnection(server, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"));
    const statuses = await Promise.all([...good, ...bad]);
    assertEquals(statuses.filter((s) => s === 200).length, 30);
    assertEquals(issuingWorkers(server).size, 2, "both workers issued");
    await server.close();
    const lines = (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
    const count = (type: string) => lines.filter((l) => l.type === type).length;
    assertEquals([count("auth_success"), count("cert_issued")], [30, 30]);
    assert(count("auth_failure") >= 1, "refused tokens audited (aggregated per address and reason)");
    const verify = await auditVerify(path);
    assertEquals(verify.code, 0, verify.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workers: 2 issue on a worker while the owner thread is busy: its audit lines go on the chain without it", async () => {
  await using idp = await startTestIdp();
  const dir = await Deno.makeTempDir({ prefix: "workers-busy-" });
  try {
    const path = join(dir, "audit.jsonl");
    // No limits: a limit's window is the owner's, and asking it is a round trip (docs/operations.md, workers).
    const config = { audit_log: path, rate_limit_requests: 0, rate_limit_per_subject: 0, data_dir: join(dir, "data") };
    await using server = await twoWorkers(idp, config);
    // Until each thread has issued once (its JWKS loaded: the test IdP runs on this thread too).
    let warm = 0;
    while (warm < 50 && issuingWorkers(server).size < 2) {
      warm += (await exchangeOwnConnection(server, idp.mint())) === 200 ? 1 : 0;
    }
    assertEquals(issuingWorkers(server).size, 2);
    const tokens = await Promise.all(Array.from({ length: 16 }, () => idp.mint()));
    // Sixteen requests on connections of their own, from another process: the kernel gives some to the worker.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", BUSY_CLIENT],
      env: { URL: server.url, CA: server.tlsCaPem!, TOKENS: tokens.join(" "), NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let printed = "";
    while (!printed.includes("ready\n")) {
      const { value, done } = await out.read();
      if (done) throw new Error(`the client process ended before it was ready: ${printed}`);
      printed += value;
    }
    const stdin = child.stdin.getWriter();
    await stdin.write(new TextEncoder().encode("go\n"));
    // This thread (the owner) does nothing else for 4 s: a worker that needed it would answer only afterwards.
    const busyUntil = Date.now() + 4000;
    while (Date.now() < busyUntil) { /* busy */ }
    await stdin.close();
    for (let r = await out.read(); !r.done; r = await out.read()) printed += r.value;
    assertEquals((await child.status).code, 0);
    const answers: { status: number; at: number }[] = JSON.parse(printed.slice(printed.indexOf("ready\n") + 6));
    assertEquals(answers.map((a) => a.status), Array(16).fill(200));
    const during = answers.filter((a) => a.at < busyUntil).length;
    assert(
      during > 0,
      `no certificate was issued while the owner thread was busy (${
        JSON.stringify(answers.map((a) => a.at - busyUntil))
      })`,
    );
    await server.close();
    const lines = (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
    const issued = lines.filter((l) => l.type === "cert_issued").map((l) => l.cert_serial);
    const history = (await Deno.readTextFile(join(dir, "data", "certs.jsonl"))).trim().split("\n");
    assertEquals(history.map((l) => JSON.parse(l).serial).sort(), issued.sort(), "every certificate in the history");
    assertEquals(issued.length, warm + 16);
    const verify = await auditVerify(path);
    assertEquals(verify.code, 0, verify.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Sends one exchange per token (env TOKENS), each on its own connection; prints each status and when it came. */
const BUSY_CLIENT = `
const env = Deno.env.toObject();
console.log("ready"); // then waits for the test's "go" on stdin: sent just before the owner thread gets busy
await Deno.stdin.read(new Uint8Array(8));
const answers = await Promise.all(env.TOKENS.split(" ").map(async (t) => {
  using client = Deno.createHttpClient({ caCerts: [env.CA], http2: false });
  const res = await fetch(env.URL + "/exchange", { method: "POST", body: JSON.stringify({ id_token: t }), client });
  await res.body?.cancel();
  return { status: res.status, at: Date.now() };
}));
console.log(JSON.stringify(answers));
`;

Deno.test("workers: 2 finish every in-flight exchange on every thread before close() returns", async () => {
  await using idp = await startTestIdp();
  // Each request says it comes from its own address (through a trusted proxy): the owner's per-IP table then counts
  // the requests that have reached the rate limit, i.e. whose headers a worker has read.
  await using server = await twoWorkers(idp, { rate_limit_requests: 100, trusted_proxies: ["127.0.0.1"] });
  const clients = Array.from(
    { length: 16 },
    () => Deno.createHttpClient({ caCerts: [server.tlsCaPem!], http2: false }),
  );
  try {
    // Sixteen connections, each with a request whose body is only half sent: in flight on whichever worker took it.
    const writers = [], pending = [];
    for (const [i, client] of clients.entries()) {
      const parts = new TransformStream<Uint8Array, Uint8Array>();
      const w = parts.writable.getWriter();
      const body = JSON.stringify({ id_token: await idp.mint() });
      const headers = { "x-forwarded-for": `198.51.100.${i + 1}` };
      pending.push(fetch(`${server.url}/exchange`, { method: "POST", body: parts.readable, headers, client }));
      await w.write(new TextEncoder().encode(body.slice(0, 20)));
      writers.push({ w, rest: body.slice(20) });
    }
    while (server.server.deps.state.limiterEntries() < 16) await new Promise((r) => setTimeout(r, 5));
    let stopped = false;
    const closing = server.server.close(() => void (stopped = true));
    while (!stopped) await new Promise((r) => setTimeout(r, 5));
    for (const { w, rest } of writers) {
      await w.write(new TextEncoder().encode(rest));
      await w.close();
    }
    const results = await Promise.all(pending);
    await closing;
    for (const r of results) {
      assertEquals(r.status, 200);
      await r.body?.cancel();
    }
    assertEquals(issuingWorkers(server).size, 2, "both workers had requests in flight");
    assertEquals(server.audit.filter((e) => e.type === "cert_issued").length, 16);
  } finally {
    for (const c of clients) c.close();
  }
});

Deno.test("workers: 2 share admin sessions and the lock-out: a sign-in on one thread works on the other", async () => {
  const admin = "an-admin-token-of-more-than-32-characters";
  await using idp = await startTestIdp();
  await using server = await twoWorkers(idp, { admin_token: admin });
  const get = async (path: string, init: RequestInit = {}) => {
    using client = Deno.createHttpClient({ caCerts: [server.tlsCaPem!], http2: false });
    const res = await fetch(`${server.url}${path}`, { ...init, client, redirect: "manual" });
    return { res, text: await res.text() };
  };
  const page = await get("/admin/");
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
  const cookie = page.res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const login = await get("/admin/login", {
    method: "POST",
    headers: { origin: server.url, cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: admin, csrf }),
  });
  assertEquals(login.res.status, 303);
  const session = login.res.headers.getSetCookie().find((c) => c.startsWith("talosctl_oidc_admin_session="))!;
  // Ten fresh connections: the kernel puts some on each worker, and every one of them knows the session.
  for (let i = 0; i < 10; i++) {
    const r = await get("/admin/", { headers: { cookie: session.split(";")[0]! } });
    assertEquals(r.res.status, 200);
    assert(r.text.includes("Logout"), "signed in");
  }
});

Deno.test("a second server on a port in use is refused: SO_REUSEPORT would otherwise share it silently", async () => {
  await using idp = await startTestIdp();
  await using first = await twoWorkers(idp, {});
  const port = first.server.addr.port;
  const err = await startTestServer({ idp, config: { workers: 2, listen: `127.0.0.1:${port}` } }).then(
    (s) => (s.close(), undefined),
    (e: Error) => e,
  );
  assert(err && err.message.includes(`listen 127.0.0.1:${port}: address already in use`), String(err));
  assertEquals(await (await fetch(`${first.url}/healthz`, { client: first.client })).text(), "ok");
});
