/** @module Tests for the listener: real TLS, provided-certificate reload without dropping in-flight requests. */

import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { nullLogger } from "../../shared/log.ts";
import { startListener } from "./listener.ts";
import { generateTlsCa, issueServerCert, type PemPair } from "./self_signed.ts";
import { createTlsSource } from "./source.ts";

async function pairFromNewCa(): Promise<{ ca: PemPair; leaf: PemPair }> {
  const ca = await generateTlsCa(new Date());
  return { ca, leaf: await issueServerCert(ca, ["127.0.0.1"], new Date()) };
}

async function get(url: string, caPem: string, init?: RequestInit): Promise<string> {
  using client = Deno.createHttpClient({ caCerts: [caPem] });
  const res = await fetch(url, { ...init, client });
  return await res.text();
}

Deno.test("startListener() serves the provided pair and swaps to new files on checkNow()", async () => {
  const dir = await Deno.makeTempDir({ prefix: "listener-test-" });
  try {
    const certPath = join(dir, "tls.crt"), keyPath = join(dir, "tls.key");
    const a = await pairFromNewCa(), b = await pairFromNewCa();
    await Deno.writeTextFile(certPath, a.leaf.certPem);
    await Deno.writeTextFile(keyPath, a.leaf.keyPem, { mode: 0o600 });
    const tls = await createTlsSource({ mode: "provided", certPath, keyPath }, "127.0.0.1", nullLogger, new Date());
    const gate = Promise.withResolvers<void>(), entered = Promise.withResolvers<void>();
    const listener = startListener({
      hostname: "127.0.0.1",
      port: 0,
      tls,
      logger: nullLogger,
      handler: async (req) => {
        if (new URL(req.url).pathname === "/slow") entered.resolve(), await gate.promise;
        return new Response("ok");
      },
    });
    const url = `https://127.0.0.1:${listener.addr.port}`;
    assertEquals(await get(`${url}/`, a.ca.certPem), "ok");
    assertEquals(await listener.checkNow(), false);

    const slow = get(`${url}/slow`, a.ca.certPem);
    await entered.promise;
    await Deno.writeTextFile(certPath, b.leaf.certPem);
    await Deno.writeTextFile(keyPath, b.leaf.keyPem);
    const swapped = listener.checkNow();
    gate.resolve();
    assertEquals(await swapped, true);
    assertEquals(await slow, "ok", "the in-flight request finished on the old listener");
    assertEquals(listener.restarts, 1);
    assertEquals(await get(`${url}/`, b.ca.certPem), "ok");
    await assertRejects(() => get(`${url}/`, a.ca.certPem));
    await listener.shutdown();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startListener() keeps serving the loaded pair when the new files are broken", async () => {
  const dir = await Deno.makeTempDir({ prefix: "listener-test-" });
  try {
    const certPath = join(dir, "tls.crt"), keyPath = join(dir, "tls.key");
    const a = await pairFromNewCa(), b = await pairFromNewCa();
    await Deno.writeTextFile(certPath, a.leaf.certPem);
    await Deno.writeTextFile(keyPath, a.leaf.keyPem);
    const warnings: string[] = [];
    const logger = { ...nullLogger, warn: (m: string) => void warnings.push(m) };
    const tls = await createTlsSource({ mode: "provided", certPath, keyPath }, "127.0.0.1", logger, new Date());
    const listener = startListener({ hostname: "127.0.0.1", port: 0, tls, logger, handler: () => new Response("ok") });
    await Deno.writeTextFile(keyPath, b.leaf.keyPem); // key of another certificate
    assertEquals(await listener.checkNow(), false);
    assert(warnings.some((w) => /does not match.*continuing with the loaded certificate/.test(w)), warnings.join());
    assertEquals(await get(`https://127.0.0.1:${listener.addr.port}/`, a.ca.certPem), "ok");
    await listener.shutdown();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startListener() serves plain HTTP in insecure mode", async () => {
  const tls = await createTlsSource({ mode: "insecure" }, "127.0.0.1", nullLogger, new Date());
  const listener = startListener({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    logger: nullLogger,
    handler: () => new Response("plain"),
  });
  const res = await fetch(`http://127.0.0.1:${listener.addr.port}/`);
  assertEquals(await res.text(), "plain");
  await listener.shutdown();
});
