/** @module Tests for the kubectl exec credential protocol: the request kubectl sends, the ExecCredential we answer. */

import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { EXEC_API_V1, EXEC_API_V1BETA1, formatExecCredential, readExecRequest } from "./exec_credential.ts";

Deno.test("readExecRequest() takes the apiVersion and spec.interactive kubectl sends (v1 and v1beta1)", () => {
  const v1 = JSON.stringify({ apiVersion: EXEC_API_V1, kind: "ExecCredential", spec: { interactive: true } });
  assertEquals(readExecRequest(v1), { apiVersion: EXEC_API_V1, interactive: true });
  const beta = JSON.stringify({ apiVersion: EXEC_API_V1BETA1, kind: "ExecCredential", spec: { interactive: false } });
  assertEquals(readExecRequest(beta), { apiVersion: EXEC_API_V1BETA1, interactive: false });
  const noSpec = JSON.stringify({ apiVersion: EXEC_API_V1, kind: "ExecCredential" });
  assertEquals(readExecRequest(noSpec), { apiVersion: EXEC_API_V1, interactive: false });
});

Deno.test("readExecRequest() without KUBERNETES_EXEC_INFO answers v1beta1 and never talks to the user", () => {
  assertEquals(readExecRequest(undefined), { apiVersion: EXEC_API_V1BETA1, interactive: false });
  assertEquals(readExecRequest(""), { apiVersion: EXEC_API_V1BETA1, interactive: false });
});

Deno.test("readExecRequest() refuses what is not an ExecCredential of a version it speaks", () => {
  for (
    const raw of [
      "{",
      "[]",
      JSON.stringify({ apiVersion: EXEC_API_V1, kind: "Pod" }),
      JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1alpha1", kind: "ExecCredential" }),
    ]
  ) {
    const err = assertThrows(() => readExecRequest(raw));
    assertEquals(err instanceof TalosOidcError && err.code, "ERR_USAGE");
  }
});

Deno.test("formatExecCredential() writes the token and an RFC 3339 UTC expiry in whole seconds, one line", () => {
  const out = formatExecCredential(EXEC_API_V1, "tok", new Date("2030-01-02T03:04:05.678Z"));
  assertEquals(out.endsWith("\n") && !out.slice(0, -1).includes("\n"), true);
  assertEquals(JSON.parse(out), {
    apiVersion: EXEC_API_V1,
    kind: "ExecCredential",
    status: { token: "tok", expirationTimestamp: "2030-01-02T03:04:05Z" },
  });
});
