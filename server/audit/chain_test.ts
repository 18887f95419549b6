/** @module Tests for the hash chain: canonical form as external verifiers compute it, start-hash anchoring. */

import { createHash } from "node:crypto";
import { assertEquals } from "../../tests/helpers/assert.ts";
import { canonicalJson, chainHash, flatJson, GENESIS_HASH, verifyAuditChain } from "./chain.ts";

Deno.test("verifyAuditChain() rejects a first line that does not continue the given start hash", () => {
  const rec = { timestamp: "t", type: "auth_success", prev_hash: GENESIS_HASH };
  const line = JSON.stringify({ ...rec, hash: chainHash(GENESIS_HASH, rec) });
  assertEquals(verifyAuditChain(line).ok, true);
  assertEquals(verifyAuditChain(line, { startHash: "1".repeat(64) }).ok, false);
  assertEquals(verifyAuditChain("not json\n").problems, [{ line: 1, message: "not a JSON object" }]);
});

Deno.test("chainHash() of a flat line equals SHA-256 over prev_hash + sorted-key JSON, as external verifiers compute it", () => {
  const rec = { type: "cert_issued", timestamp: "t", roles: ["os:reader", "os:admin"], prev_hash: GENESIS_HASH, n: 1 };
  const sorted = '{"n":1,"prev_hash":"' + GENESIS_HASH +
    '","roles":["os:reader","os:admin"],"timestamp":"t","type":"cert_issued"}';
  assertEquals(canonicalJson(rec), sorted);
  assertEquals(chainHash(GENESIS_HASH, rec), createHash("sha256").update(GENESIS_HASH + sorted).digest("hex"));
  const nested = { a: { z: 1, b: [{ y: 2, x: 1 }] }, prev_hash: GENESIS_HASH };
  const nestedSorted = '{"a":{"b":[{"x":1,"y":2}],"z":1},"prev_hash":"' + GENESIS_HASH + '"}';
  assertEquals(chainHash(GENESIS_HASH, nested), createHash("sha256").update(GENESIS_HASH + nestedSorted).digest("hex"));
});

Deno.test("flatJson() gives canonicalJson's bytes for flat records, odd keys included", () => {
  const records: Record<string, unknown>[] = [
    { type: "cert_issued", timestamp: "t", roles: ["os:reader"], "event.outcome": "success", skip: undefined },
    { b: 1, "10": "ten", "2": "two", a: null, "01": "zero-one" },
    JSON.parse('{"z": 1, "__proto__": "p", "a": [1, "x", null]}'),
    {},
  ];
  for (const rec of records) {
    assertEquals(flatJson(rec), canonicalJson(rec));
  }
  assertEquals(flatJson({ a: { b: 1 } }), undefined);
});
