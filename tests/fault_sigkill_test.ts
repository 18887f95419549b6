/** @module Fault: `serve` SIGKILLed mid-load, again and again; nothing handed out is missing from its records. */

import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { auditCommand } from "../server/commands/audit_verify_cmd.ts";
import { startServer } from "./bench/exchange_server.ts";
import { mintTokens } from "./bench/wrk.ts";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { createDevCa } from "./helpers/dev_ca.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { runInProcess } from "./helpers/in_process.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ROUNDS = 3;
const CERTS_PER_ROUND = 25;

async function auditVerify(path: string): Promise<string> {
  const r = await runInProcess(auditCommand, ["verify", path]);
  return `${r.code} ${r.output.split("\n")[0]}`;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Every file of the TLS material in data_dir, by name, as bytes (base64). */
async function tlsMaterial(dataDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dataDir)) {
    if (e.isFile && e.name !== "certs.jsonl") {
      out[e.name] = btoa(String.fromCharCode(...await Deno.readFile(join(dataDir, e.name))));
    }
  }
  return out;
}

Deno.test("SIGKILL mid-load, repeated: audit verify passes after each restart, every certificate handed out is recorded, TLS intact", async () => {
  await using idp = await startTestIdp();
  const ca = await createDevCa("ed25519");
  const dir = await Deno.makeTempDir({ prefix: "sigkill-" });
  const dataDir = join(dir, "data"), auditLog = join(dir, "audit.log"), history = join(dataDir, "certs.jsonl");
  const ctx = { root: ROOT, deno: Deno.execPath(), budgetSeconds: 0, log() {} };
  const env = { TALOSCTL_OIDC_LISTEN: `127.0.0.1:${freePort()}` };
  const tokens = mintTokens(idp, 64);
  const handedOut = new Set<string>(); // serials of the certificates clients received
  let tls: Record<string, string> | undefined;
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      const server = await startServer(idp, ca, dir, ctx, { env, logName: `server-${round}.log` });
      const log = await Deno.readTextFile(join(dir, `server-${round}.log`));
      if (round > 0) {
        assertEquals(await auditVerify(auditLog), `0 OK: ${(await lines(auditLog)).length} lines, chain intact`);
        for (const l of await lines(history)) JSON.parse(l); // never corrupt
      }
      if (round === 2) {
        assertMatch(log, /audit log ended in a torn line/);
        assertMatch(log, /cut a torn last line off the certificate history/);
      }
      tls ??= await tlsMaterial(dataDir);
      assertEquals(await tlsMaterial(dataDir), tls, "TLS material unchanged");
      if (round === ROUNDS) {
        server.child.kill("SIGTERM");
        await server.child.status;
        break;
      }
      using client = Deno.createHttpClient({ caCerts: [tls["ca.crt"] ? atob(tls["ca.crt"]) : ""] });
      const before = handedOut.size;
      let stop = false;
      const worker = async (w: number) => {
        for (let i = w; !stop; i += 8) {
          const res = await fetch(`${server.url}/exchange`, {
            method: "POST",
            body: JSON.stringify({ id_token: tokens[i % tokens.length] }),
            client,
          }).catch(() => undefined);
          if (!res) return; // the server is gone
          const json = await res.json().catch(() => ({}));
          if (res.status === 200) handedOut.add(new X509Certificate(json.cert).serialNumber.toLowerCase());
        }
      };
      const workers = Array.from({ length: 8 }, (_, w) => worker(w));
      const deadline = Date.now() + 30_000;
      while (handedOut.size < before + CERTS_PER_ROUND) {
        assert(Date.now() < deadline, `round ${round}: the server stopped handing out certificates`);
        await new Promise((r) => setTimeout(r, 5));
      }
      server.child.kill("SIGKILL"); // mid-load: eight requests are in flight
      stop = true;
      await server.child.status;
      await Promise.all(workers);
      if (round === 1) {
        // What a crash mid-write (power loss, a full disk) leaves: the start of a line, no newline.
        await Deno.writeTextFile(auditLog, '{"timestamp":"2026-12-06T02:00:00.000Z","type":"cert_is', { append: true });
        await Deno.writeTextFile(history, '{"subject":"user-7","email":"us', { append: true });
      }
    }
    const audited = new Set(
      (await lines(auditLog)).map((l) => JSON.parse(l)).filter((e) => e.type === "cert_issued")
        .map((e) => e.cert_serial),
    );
    const recorded = new Set((await lines(history)).map((l) => JSON.parse(l).serial));
    const missing = [...handedOut].filter((s) => !audited.has(s));
    assertEquals(missing, [], "every certificate handed out has its cert_issued line");
    assertEquals([...handedOut].filter((s) => !recorded.has(s)), [], "and its record in certs.jsonl");
    // Records the clients never saw: only the requests in flight at each kill (8 connections).
    assert(audited.size - handedOut.size <= ROUNDS * 8, `${audited.size} audited, ${handedOut.size} handed out`);
    assert([...recorded].every((s) => audited.has(s)));
    const torn = [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("audit.log.torn-"));
    assertEquals(torn.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function lines(path: string): Promise<string[]> {
  return (await Deno.readTextFile(path)).split("\n").filter(Boolean);
}
