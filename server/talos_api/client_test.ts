/** @module Talos API client: fail-over across endpoints, credential rotation while running, a node down and back. */

import { join } from "node:path";
import { fixedClock } from "../../shared/clock.ts";
import { jsonLogger } from "../../shared/log.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/helpers/assert.ts";
import { createDevCa } from "../../tests/helpers/dev_ca.ts";
import { serverTalosconfig, startTalosApiStandIn, talosApiIssuer as issuerFor } from "../../tests/helpers/talos_api.ts";
import { createTalosApiClient } from "./client.ts";
import { parseTalosCredential } from "./credential.ts";
import { parseEndpoint } from "./endpoint.ts";
import { createTalosApiIssuer } from "./issuer.ts";

const request = (roles: string[]) => ({ roles, commonName: "a", ttlMs: 300_000, now: new Date() });

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("fail-over: a node that is down and a worker are skipped, the control-plane node issues", async () => {
  const ca = await createDevCa("ed25519");
  const down = `127.0.0.1:${freePort()}`;
  await using worker = await startTalosApiStandIn({ ca, worker: true });
  await using cp = await startTalosApiStandIn({ ca });
  using t = await issuerFor(ca, [down, worker.endpoint, cp.endpoint]);
  const cert = await t.issuer.issue(request(["os:reader"]));
  assertEquals(cert.caPem, ca.certPem);
  assertEquals([(await worker.calls()).length, (await cp.calls()).length], [1, 1]);
  const warned = t.logs.filter((l) => l.includes("Talos API call to")).join("\n");
  assertMatch(warned, new RegExp(`${down} failed: UNAVAILABLE`));
  assertMatch(warned, /failed: UNIMPLEMENTED: .*only available on control plane nodes \(a worker node: skipped\)/);
  // The node that answered is tried first next time: no more detours.
  await t.issuer.issue(request(["os:reader"]));
  assertEquals([(await worker.calls()).length, (await cp.calls()).length], [1, 2]);
});

Deno.test("fail-over: when every node fails, the error names each with its gRPC status", async () => {
  const ca = await createDevCa("ed25519");
  const down = `127.0.0.1:${freePort()}`;
  await using worker = await startTalosApiStandIn({ ca, worker: true });
  using t = await issuerFor(ca, [down, worker.endpoint]);
  const err = await assertRejects(() => t.issuer.issue(request(["os:reader"])));
  assert(isTalosOidcError(err, "ERR_TALOS_API"));
  const detail = String(err.fields?.detail);
  assertMatch(detail, new RegExp(`^${down}: UNAVAILABLE: .*; ${worker.endpoint}: UNIMPLEMENTED: .*worker node`));
});

Deno.test("a node that hangs is cut off at the per-call deadline and the next one issues", async () => {
  const ca = await createDevCa("ed25519");
  await using slow = await startTalosApiStandIn({ ca, delayMs: 2000 });
  await using cp = await startTalosApiStandIn({ ca });
  const text = await serverTalosconfig(ca);
  const logs: string[] = [];
  const logger = jsonLogger({ level: "debug", write: (l) => void logs.push(l) });
  const client = createTalosApiClient({
    target: {
      kind: "talosconfig",
      credential: parseTalosCredential(text, "/nonexistent/config"),
      endpoints: [parseEndpoint(slow.endpoint)!, parseEndpoint(cp.endpoint)!],
    },
    timeoutMs: 300,
    logger,
    now: () => new Date(),
  });
  try {
    const { endpoint } = await client.generate(["os:reader"], 300);
    assertEquals(endpoint, cp.endpoint);
    assertMatch(logs.join("\n"), new RegExp(`${slow.endpoint} failed: DEADLINE_EXCEEDED`));
  } finally {
    client.close();
  }
});

Deno.test("the credential file is re-read when it changes; an unusable replacement keeps the previous one", async () => {
  const ca = await createDevCa("ed25519");
  await using talos = await startTalosApiStandIn({ ca });
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "config");
    const write = async (text: string) => { // as a Kubernetes secret volume: a new file renamed over the old
      await Deno.writeTextFile(`${path}.tmp`, text, { mode: 0o600 });
      await Deno.rename(`${path}.tmp`, path);
    };
    const first = await serverTalosconfig(ca, { cn: "sa-1" });
    await write(first);
    const logs: string[] = [];
    const logger = jsonLogger({ level: "debug", write: (l) => void logs.push(l) });
    const client = createTalosApiClient({
      target: {
        kind: "talosconfig",
        credential: parseTalosCredential(first, path),
        endpoints: [parseEndpoint(talos.endpoint)!],
      },
      timeoutMs: 5000,
      logger,
      now: () => new Date(),
    });
    const issuer = createTalosApiIssuer({ client, logger, now: () => new Date() });
    try {
      await issuer.issue(request(["os:reader"]));
      await write(await serverTalosconfig(ca, { cn: "sa-2" }));
      await issuer.issue(request(["os:reader"]));
      await write(await serverTalosconfig(ca, { cn: "sa-3", roles: ["os:reader"] }));
      await issuer.issue(request(["os:reader"]));
      assertEquals((await talos.calls()).map((r) => r.callerCn), ["sa-1", "sa-2", "sa-2"]);
      assertEquals(client.credential()?.roles, ["os:admin"]);
      const text = logs.join("\n");
      assertMatch(text, /Talos API credential reloaded from/);
      assertMatch(text, /changed but cannot be used; keeping the previous one.*has roles \[os:reader\]/);
    } finally {
      issuer.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a node that goes down fails with UNAVAILABLE and is used again as soon as it is back", async () => {
  const ca = await createDevCa("ed25519");
  const talos = await startTalosApiStandIn({ ca });
  using t = await issuerFor(ca, [talos.endpoint]);
  await t.issuer.issue(request(["os:reader"]));
  await talos.stop();
  const err = await assertRejects(() => t.issuer.issue(request(["os:reader"])));
  assert(isTalosOidcError(err, "ERR_TALOS_API"));
  assertMatch(String(err.fields?.detail), /UNAVAILABLE/);
  await using back = await startTalosApiStandIn({ ca, port: talos.port });
  await t.issuer.issue(request(["os:reader"]));
  assertEquals((await back.calls()).length, 1);
});

Deno.test("readiness makes one cheap Version call per few seconds and follows the node's state", async () => {
  const ca = await createDevCa("ed25519");
  const talos = await startTalosApiStandIn({ ca });
  const text = await serverTalosconfig(ca);
  const clock = fixedClock(new Date());
  const logger = jsonLogger({ level: "error", write: () => {} });
  const client = createTalosApiClient({
    target: {
      kind: "talosconfig",
      credential: parseTalosCredential(text, "/nonexistent/config"),
      endpoints: [parseEndpoint(talos.endpoint)!],
    },
    timeoutMs: 5000,
    logger,
    now: () => clock.now(),
  });
  const issuer = createTalosApiIssuer({ client, logger, now: () => clock.now(), readyCacheMs: 5000 });
  try {
    assertEquals(await Promise.all([issuer.ready(), issuer.ready()]), [true, true]);
    assertEquals(await talos.versions(), 1);
    clock.advance(4000);
    assertEquals([await issuer.ready(), await talos.versions()], [true, 1]);
    await talos.stop();
    assertEquals(await issuer.ready(), true, "still cached");
    clock.advance(2000);
    assertEquals(await issuer.ready(), false);
  } finally {
    issuer.close();
  }
});
