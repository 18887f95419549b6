/** @module Tests for GET /readyz. */

import { Hono } from "hono";
import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { readyzRoute } from "./readyz.ts";

Deno.test("readyz answers 200 only when every check passes", async () => {
  let oidc = false;
  const app = new Hono().get("/readyz", readyzRoute({ checks: { ca: () => true, oidc: () => oidc } }));
  const before = await app.request("/readyz");
  assertEquals(before.status, 503);
  assertEquals(await before.json(), { status: "not ready", checks: { ca: true, oidc: false } });
  oidc = true;
  const after = await app.request("/readyz");
  assertEquals(after.status, 200);
  assertEquals((await after.json()).status, "ready");
});

Deno.test("readyz treats a throwing check as not ready", async () => {
  const app = new Hono().get(
    "/readyz",
    readyzRoute({
      checks: {
        ca: () => {
          throw new Error("x");
        },
      },
    }),
  );
  assertEquals((await app.request("/readyz")).status, 503);
  assertThrows(() => readyzRoute({ checks: {} }), (e) => e instanceof RangeError);
});
