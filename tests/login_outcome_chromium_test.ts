/**
 * @module The browser tab tells how the login ended, in a real Chromium that keeps its IdP session: a
 * refused user sees the refusal and its hint in the tab, then `login --force` makes the IdP ask again who signs in,
 * and the tab shows the new user's roles. Screenshots in test-artifacts/.
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium } from "./helpers/chromium.ts";
import { makeHome } from "./helpers/cli.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { loginHarness, loginInput } from "./helpers/login_harness.ts";
import { startTestServer } from "./helpers/server.ts";
import { USERS_RBAC } from "./helpers/idp_users.ts";
import { runLogin } from "../client/login/login.ts";
import { isTalosOidcError } from "../shared/errors.ts";

const ARTIFACTS = fileURLToPath(new URL("../test-artifacts/", import.meta.url));

interface Tab {
  heading: string;
  message: string;
  hint: string | null;
  signInPage: boolean;
}

Deno.test({
  name: "the browser tab shows the refusal with its hint, then after --force the new user's roles (real Chromium)",
  ignore: !hasChromium(),
  sanitizeResources: false, // Chromium's pipes belong to playwright
  sanitizeOps: false,
  async fn() {
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    await using idp = await startTestIdp();
    await using server = await startTestServer({ idp, config: { rbac: USERS_RBAC } });
    await using home = await makeHome();
    const ca = join(home.path, "ca.pem");
    await Deno.writeTextFile(ca, server.tlsCaPem!);
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      const page = await (await browser.newContext()).newPage(); // one profile: the IdP's session cookie stays
      let user = "mallory";
      const tabs: Tab[] = [];
      const h = loginHarness({
        home: home.path,
        async browser(url) {
          await page.goto(url);
          await page.waitForSelector("#login, #success, #failure");
          const signInPage = (await page.$("#login")) !== null;
          if (signInPage) {
            await page.fill("#login", user);
            await page.fill("#password", user);
            await page.click("#submit");
          }
          await page.waitForSelector("#success, #failure", { timeout: 20_000 });
          await page.screenshot({ path: join(ARTIFACTS, `login-outcome-${tabs.length}.png`) });
          tabs.push({
            heading: (await page.textContent("h1")) ?? "",
            message: (await page.textContent("#message")) ?? "",
            hint: await (await page.$("#hint"))?.textContent() ?? null,
            signInPage,
          });
        },
      });
      h.deps.callbackPageHoldMs = 20_000; // the tab must be answered by the exchange's outcome, not by the cap
      const flags = ["--server-ca", ca, "--talosconfig", join(home.path, "talosconfig")];
      const refused = await runLogin(loginInput(idp, server, home.path, ...flags), h.deps).catch((e) => e);
      await h.walks();
      assert(isTalosOidcError(refused, "ERR_EXCHANGE"), String(refused));
      assertEquals(tabs[0]?.heading, "Signed in, but no Talos certificate");
      assertStringIncludes(tabs[0]!.message, "The exchange server refused the request (HTTP 403): no roles assigned");
      assertEquals(tabs[0]!.hint?.toLowerCase(), refused.hint?.toLowerCase(), "the tab shows the terminal's hint");
      // The default scopes bring no groups claim: the hint names it and the scope to ask for.
      assertStringIncludes(tabs[0]!.hint!, `The server's rules read the claim "groups", and your ID token (mallory`);
      assertStringIncludes(tabs[0]!.hint!, "--force --scopes openid,profile,email,offline_access,groups");

      user = "alice";
      const scopes = ["--scopes", "openid,profile,email,offline_access,groups"];
      const forced = await runLogin(loginInput(idp, server, home.path, ...flags, ...scopes, "--force"), h.deps);
      await h.walks();
      assert("pass" in forced.attempts[0]! && forced.attempts[0].pass.outcome === "renewed");
      assertEquals(tabs[1]?.signInPage, true, "--force made the IdP ask who signs in, though mallory's session lives");
      assertEquals(tabs[1]!.heading, "Authentication Successful");
      assertStringIncludes(tabs[1]!.message, "You are signed in as alice@example.com.");
      assertStringIncludes(tabs[1]!.message, `context "oidc" has the roles os:admin and is valid until`);
    } finally {
      await browser.close();
    }
  },
});
