/** @module Tests of the claim rules at their exact boundaries (leeway 60 s). */

import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { checkClaims } from "./claims.ts";
import { invalidTokenReason } from "./invalid.ts";
import type { InvalidTokenReason } from "./types.ts";

const NOW = 1_800_000_000;
const rules = { issuer: "https://idp.example", clientId: "talosctl", toleranceSec: 60, maxLifetimeSec: 3600 };
const base = { iss: rules.issuer, aud: "talosctl", sub: "alice", iat: NOW, exp: NOW + 300 };

const accepted: Record<string, unknown>[] = [
  { exp: NOW - 59 },
  { nbf: NOW + 60 },
  { iat: NOW + 60 },
  { aud: ["talosctl"] },
  { aud: ["talosctl", "kubectl"], azp: "talosctl" },
  { aud: "talosctl", azp: "talosctl" },
  { typ: "ID" },
  { typ: "id" },
  { iat: NOW - 3000, exp: NOW + 600 },
];
const refused: [Record<string, unknown>, InvalidTokenReason][] = [
  [{ exp: NOW - 60 }, "expired"],
  [{ nbf: NOW + 61 }, "not_yet_valid"],
  [{ iat: NOW + 61 }, "not_yet_valid"],
  [{ iss: `${rules.issuer}/` }, "issuer_mismatch"],
  [{ aud: "kubectl" }, "audience_mismatch"],
  [{ aud: [] }, "audience_mismatch"],
  [{ aud: ["talosctl", 1] }, "malformed"],
  [{ aud: ["talosctl", "kubectl"] }, "azp_mismatch"],
  [{ aud: ["talosctl", "kubectl"], azp: "kubectl" }, "azp_mismatch"],
  [{ azp: "kubectl" }, "azp_mismatch"],
  [{ azp: null }, "azp_mismatch"],
  [{ sub: "" }, "missing_claim"],
  [{ sub: 7 }, "missing_claim"],
  [{ exp: "1900000000" }, "malformed"],
  [{ iat: null }, "malformed"],
  [{ nbf: "0" }, "malformed"],
  [{ scope: "openid" }, "not_id_token"],
  [{ scp: "openid" }, "not_id_token"],
  [{ client_id: "talosctl" }, "not_id_token"],
  [{ typ: "Bearer" }, "not_id_token"],
  [{ typ: "ID " }, "not_id_token"],
  [{ typ: null }, "not_id_token"],
  [{ iat: NOW - 3001, exp: NOW + 600 }, "lifetime_too_long"],
  [{ iat: NOW - 10 * 365 * 86400, exp: 1e12 }, "lifetime_too_long"],
];

Deno.test("checkClaims() accepts tokens right at the edge of the leeway and the audience rules", () => {
  for (const extra of accepted) assertEquals(checkClaims({ ...base, ...extra }, rules, NOW).sub, "alice");
});

Deno.test("checkClaims() refuses each broken claim with its reason", () => {
  for (const [extra, reason] of refused) {
    assertThrows(() => checkClaims({ ...base, ...extra }, rules, NOW), (e) => invalidTokenReason(e) === reason);
  }
});

Deno.test("checkClaims() requires iss, aud, sub, exp and iat to be present", () => {
  for (const name of ["iss", "aud", "sub", "exp", "iat"]) {
    const claims: Record<string, unknown> = { ...base };
    delete claims[name];
    assertThrows(() => checkClaims(claims, rules, NOW), (e) => invalidTokenReason(e) === "missing_claim");
  }
});

Deno.test("checkClaims() with zero leeway refuses a token at its exp second", () => {
  const strict = { ...rules, toleranceSec: 0 };
  assertThrows(() => checkClaims({ ...base, exp: NOW }, strict, NOW), (e) => invalidTokenReason(e) === "expired");
  assertEquals(checkClaims({ ...base, exp: NOW + 1 }, strict, NOW).exp, NOW + 1);
});
