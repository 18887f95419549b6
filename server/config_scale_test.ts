/** @module Tests for the scale-out keys: workers, state_store (never echoing its password), replica_id. */

import { assert, assertEquals, assertStringIncludes } from "../tests/helpers/assert.ts";
import { parseConfig } from "./config.ts";
import { workerCount } from "./loops.ts";

const BASE = {
  issuer_url: "https://idp.example.com",
  client_id: "c",
  endpoints: ["10.0.0.1"],
  roles: ["os:reader"],
  talos_socket: "/system/run/machined/machine.sock",
};

Deno.test("workers defaults to auto: the cores available, at most 8; an explicit N wins", () => {
  assertEquals(parseConfig(BASE, {}).config.workers, "auto");
  assertEquals([workerCount("auto", 2), workerCount("auto", 1), workerCount("auto", 64)], [2, 1, 8]);
  assertEquals(parseConfig({ ...BASE, workers: 3 }, {}).config.workers, 3);
  assertEquals(parseConfig(BASE, { TALOSCTL_OIDC_WORKERS: "1" }).config.workers, 1);
  for (const bad of ["0", "-1", "two", "65"]) {
    const { problems } = parseConfig({ ...BASE, workers: bad }, {});
    assertStringIncludes(problems.join("\n"), `workers / TALOSCTL_OIDC_WORKERS: "${bad}" is not "auto" or a number`);
  }
});

Deno.test("state_store takes redis, rediss, valkey and valkeys URLs and shows them without the password", () => {
  const url = "rediss://talos:s3cret-pass@redis.example.com:6380/2";
  const { config, problems } = parseConfig({ ...BASE, state_store: url }, {});
  assertEquals(problems, []);
  assertEquals(config.stateStore?.display, "rediss://talos@redis.example.com:6380/2");
  assertEquals([config.stateStore?.tls, config.stateStore?.url.reveal()], [true, url]);
  assert(!JSON.stringify(config).includes("s3cret-pass"), "the password never prints");
  assertEquals(
    parseConfig({ ...BASE, state_store: "valkey://v:6379" }, {}).config.stateStore?.display,
    "valkey://v:6379/0",
  );
  assertEquals(parseConfig(BASE, {}).config.stateStoreFailOpen, false);
});

Deno.test("a bad state_store is refused with what to write instead, and its text never echoed", () => {
  for (
    const [bad, why] of [
      ["http://user:pw@redis:6379", 'scheme "http:" is not redis://'],
      ["redis://:pw@redis:6379/x", 'database "x" is not a number'],
      ["not a url pw", "is not a URL"],
      ["redis://redis:6379/0?password=pw", "takes no query"],
    ]
  ) {
    const text = parseConfig({ ...BASE, state_store: bad }, {}).problems.join("\n");
    assertStringIncludes(text, `state_store / TALOSCTL_OIDC_STATE_STORE: ${why}`);
    assert(!text.includes("pw"), text);
  }
  const orphan = parseConfig({ ...BASE, state_store_password_file: "/run/secrets/p" }, {}).problems.join("\n");
  assertStringIncludes(orphan, "state_store_password_file / TALOSCTL_OIDC_STATE_STORE_PASSWORD_FILE: only applies");
  const id = parseConfig({ ...BASE, replica_id: "../etc" }, {}).problems.join("\n");
  assertStringIncludes(id, "replica_id / TALOSCTL_OIDC_REPLICA_ID");
});
