/** @module One end-to-end login with a real headless Chromium as the browser, screenshots in test-artifacts/. */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { runCli } from "./helpers/cli.ts";
import { chromiumBrowserCommand, hasChromium, waitForChromiumResult } from "./helpers/chromium.ts";
import { startLoginWorld } from "./login_e2e_fixture.ts";

const ARTIFACTS = fileURLToPath(new URL("../test-artifacts/", import.meta.url));

Deno.test({
  name: "login with real Chromium signs in on the IdP page, shows the success page and writes a working context",
  ignore: !hasChromium(),
  async fn() {
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    await using w = await startLoginWorld();
    const prefix = join(ARTIFACTS, "login-chromium");
    await Deno.remove(`${prefix}-result.json`).catch(() => {});
    const r = await runCli(w.args("--browser-command", chromiumBrowserCommand(prefix, "alice")), { home: w.home });
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stderr, `Talosconfig updated: context "oidc"`);
    // Login returns once the callback arrives; the browser still takes its last screenshot after that.
    const seen = await waitForChromiumResult(prefix);
    assertStringIncludes(seen.heading, "Successful");
    for (const shot of ["idp", "callback"]) {
      const png = await Deno.readFile(`${prefix}-${shot}.png`);
      assertEquals([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    }
    assertEquals(await w.callApidAs("oidc"), {
      status: 200,
      body: { subject_cn: "alice@example.com", roles: ["os:admin"] },
    });
  },
});
