/** @module Redaction at the sink: a real ID token, a private key and bearer credentials never reach a log line. */

import { generateKeyPairSync } from "node:crypto";
import { assert, assertEquals, assertStringIncludes } from "../tests/helpers/assert.ts";
import { startTestIdp } from "../tests/helpers/idp.ts";
import { heldLogger, jsonLogger, redact, redactText, textLogger } from "./log.ts";
import { Secret } from "./secret.ts";

const KEY_PEM = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();

/** Every way a secret could travel into a log call. */
function leakyCalls(token: string) {
  return [
    { msg: `exchange failed for token ${token}`, fields: {} },
    { msg: "request", fields: { id_token: token, refresh_token: "r-secret-1", access_token: "a-secret-1" } },
    { msg: "request", fields: { headers: { authorization: `Bearer ${token}`, cookie: "session=s-secret-1" } } },
    { msg: "nested", fields: { body: { deeper: [{ note: `copy of ${token}` }] } } },
    { msg: "key material", fields: { pem: KEY_PEM, key: "k-secret-1" } },
    { msg: "error", fields: { error: new Error(`jose rejected ${token}`) } },
    { msg: "admin", fields: { admin_token: new Secret("adm-secret-1"), client_secret: "cs-secret-1" } },
    { msg: "upstream said: Authorization: Bearer b-secret-1 is invalid", fields: {} },
  ];
}

const SECRETS = [
  "b-secret-1",
  "r-secret-1",
  "a-secret-1",
  "s-secret-1",
  "k-secret-1",
  "adm-secret-1",
  "cs-secret-1",
  "PRIVATE KEY",
];

Deno.test("jsonLogger() and textLogger() never write a real ID token, key or credential, on any level", async () => {
  await using idp = await startTestIdp();
  const token = await idp.mint({ email: "alice@example.com" });
  const lines: string[] = [];
  const loggers = [
    jsonLogger({ level: "debug", write: (l) => lines.push(l) }),
    textLogger({ verbose: true, write: (l) => lines.push(l) }),
  ];
  for (const logger of loggers) {
    for (const { msg, fields } of leakyCalls(token)) {
      for (const level of ["debug", "info", "warn", "error"] as const) logger[level](msg, fields);
    }
  }
  assertEquals(lines.length, 2 * 8 * 4);
  const all = lines.join("\n");
  assert(!all.includes(token), "the token reached a log line");
  assert(!all.includes(token.split(".")[1]!), "the token's payload reached a log line");
  for (const s of SECRETS) assert(!all.includes(s), `"${s}" reached a log line`);
  assertStringIncludes(all, "exchange failed for token ***");
  assertStringIncludes(all, "Bearer ***");
});

Deno.test("redact() keeps the shape and harmless values while masking secret fields", () => {
  assertEquals(redact({ sub: "alice", roles: ["os:admin"], id_token: "x", n: 3, ok: true }), {
    sub: "alice",
    roles: ["os:admin"],
    id_token: "***",
    n: 3,
    ok: true,
  });
});

Deno.test("redactText() masks a PEM private key even when its END line is missing", () => {
  const cut = KEY_PEM.split("\n").slice(0, 2).join("\n");
  assertEquals(redactText(`key: ${cut}`), "key: ***");
});

Deno.test("a Secret prints as *** through String, JSON and Deno.inspect", () => {
  const s = new Secret("hunter2");
  assertEquals(`${s}`, "***");
  assertEquals(JSON.stringify({ s }), '{"s":"***"}');
  assertEquals(Deno.inspect(s), "***");
  assertEquals(s.reveal(), "hunter2");
});

Deno.test("heldLogger() replays its lines in order to another logger, and drops them when never replayed", () => {
  const lines: string[] = [];
  const to = textLogger({ verbose: true, write: (l) => void lines.push(l) });
  const held = heldLogger();
  held.warn("first");
  held.debug("second", { n: 2 });
  held.info("third");
  assertEquals(lines, [], "nothing is written before replay");
  held.replay(to);
  assertEquals(lines, ["warn: first", 'debug: second {"n":2}', "third"]);
  held.replay(to);
  assertEquals(lines.length, 3, "a line is replayed once");
});
