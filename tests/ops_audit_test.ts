/** @module Over real TLS: the server's audit log verifies; edited, deleted, reordered or truncated copies do not. */

import { auditCommand } from "../server/commands/audit_verify_cmd.ts";
import { assertEquals, assertMatch } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { runInProcess } from "./helpers/in_process.ts";
import { startTestServer } from "./helpers/server.ts";

async function verify(path: string, ...flags: string[]): Promise<{ code: number; out: string }> {
  const r = await runInProcess(auditCommand, ["verify", path, ...flags]);
  return { code: r.code, out: r.stdout };
}

const ADMIN_TOKEN = "t0ken-admin-ops-0123456789abcdefghij";

Deno.test("audit verify passes the live server's log and names the first broken line of each tampering", async () => {
  await using idp = await startTestIdp();
  const dir = await Deno.makeTempDir();
  try {
    const log = `${dir}/audit.log`;
    let head: string;
    {
      await using server = await startTestServer({
        idp,
        config: { audit_log: log, admin_token: ADMIN_TOKEN },
      });
      for (const sub of ["alice", "bob", "mallory"]) await server.exchange({ id_token: await idp.mint({ sub }) });
      await server.exchange({ id_token: "garbage" });
      const stats = await fetch(`${server.url}/admin/stats`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        client: server.client,
      });
      head = (await stats.json()).audit_head;
    }
    const lines = (await Deno.readTextFile(log)).split("\n").filter(Boolean);
    assertEquals(lines.length, 7, "3 × (auth_success + cert_issued) + auth_failure");
    const ok = await verify(log, "--expect-hash", head);
    assertEquals([ok.code, ok.out.split("\n")[0]], [0, "OK: 7 lines, chain intact"]);

    const tampered = async (name: string, text: string, ...flags: string[]) => {
      await Deno.writeTextFile(`${dir}/${name}`, text);
      return await verify(`${dir}/${name}`, ...flags);
    };
    const joined = (ls: string[]) => ls.map((l) => l + "\n").join("");
    const edited = [...lines];
    edited[3] = edited[3]!.replace('"os:admin"', '"os:reader"');
    assertMatch((await tampered("edited", joined(edited))).out, /^BROKEN: line 4: edited/);
    const deleted = lines.filter((_, i) => i !== 2);
    assertMatch((await tampered("deleted", joined(deleted))).out, /^BROKEN: line 3: deleted/);
    const reordered = [lines[0]!, lines[2]!, lines[1]!, ...lines.slice(3)];
    assertMatch((await tampered("reordered", joined(reordered))).out, /^BROKEN: line 2: reordered/);
    const cut = await tampered("cut", joined(lines).slice(0, -30));
    assertEquals(cut.code, 1);
    assertMatch(cut.out, /^BROKEN: line 7: truncated/);
    const shortened = await tampered("short", joined(lines.slice(0, 5)), "--expect-hash", head);
    assertMatch(shortened.out, /^BROKEN: line 5: truncated/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with audit_hmac_key_file the live server's chain verifies only with the key", async () => {
  await using idp = await startTestIdp();
  const dir = await Deno.makeTempDir();
  try {
    const log = `${dir}/audit.log`, key = `${dir}/audit.key`;
    await Deno.writeTextFile(key, "4b8e0c1f3a5d7e9b2c4f6a8d0e2b4c6f8a1d3e5b7c9f0a2d4e6b8c1f3a5d7e9b\n", {
      mode: 0o600,
    });
    {
      await using server = await startTestServer({ idp, config: { audit_log: log, audit_hmac_key_file: key } });
      for (const sub of ["alice", "bob"]) {
        assertEquals((await server.exchange({ id_token: await idp.mint({ sub }) })).status, 200);
      }
    }
    const keyed = await verify(log, "--hmac-key-file", key);
    assertEquals([keyed.code, keyed.out.split("\n")[0]], [0, "OK: 4 lines, chain intact (HMAC)"]);
    const plain = await verify(log);
    assertEquals(plain.code, 1);
    assertMatch(plain.out, /^BROKEN: line 1: edited: .*pass --hmac-key-file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
