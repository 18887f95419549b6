/** @module The admin dashboard in headless Chromium over real TLS: wrong token, sign in, issued cert, log out. */

import { createHash, X509Certificate } from "node:crypto";
import { chromium } from "playwright-core";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium } from "./helpers/chromium.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { startTestServer } from "./helpers/server.ts";

const ADMIN = "dashboard-admin-token-7c1e9a-0123456789";
const ARTIFACTS = new URL("../test-artifacts/dashboard/", import.meta.url).pathname;

/** Chromium trusts exactly this server key (SPKI pin), nothing else is ignored. */
function spkiPin(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

Deno.test({
  name: "dashboard in Chromium: wrong token shows an error, sign-in shows the issued cert, logout ends the session",
  ignore: !hasChromium(),
  async fn() {
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    await using idp = await startTestIdp();
    await using server = await startTestServer({ idp, config: { admin_token: ADMIN } });
    const issued = await server.exchange({
      id_token: await idp.mint({ email: "alice@example.com", email_verified: true }),
    });
    assertEquals(issued.status, 200);

    const leaf = server.server.deps.tls.current()!.certPem;
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${spkiPin(leaf)}`],
    });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const violations: string[] = [];
      page.on("console", (m) => /Content Security Policy|Refused to/i.test(m.text()) && violations.push(m.text()));

      await page.goto(`${server.url}/admin/`);
      assertEquals(await page.locator("h1").textContent(), "Admin Login");
      await page.screenshot({ path: `${ARTIFACTS}01-login.png` });

      await page.fill("#token", "not-the-token");
      await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
      assertEquals(await page.locator("#login-error").textContent(), "Invalid admin token");
      await page.screenshot({ path: `${ARTIFACTS}02-wrong-token.png` });

      await page.fill("#token", ADMIN);
      await Promise.all([page.waitForURL(`${server.url}/admin/`), page.click("button[type=submit]")]);
      assertEquals(await page.locator("#total-certs").textContent(), "1");
      assertEquals(await page.locator("#active-certs").textContent(), "1");
      const row = await page.locator("#active-certs-table tbody tr").first().textContent();
      assertStringIncludes(row!, "alice");
      assertStringIncludes(row!, "os:admin");
      assertEquals(await page.locator("svg.chart rect").count(), 24);
      const color = await page.locator("header").evaluate((el) =>
        (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } })
          .getComputedStyle(el).backgroundColor
      );
      assertEquals(color, "rgb(26, 26, 46)", "the stylesheet from /admin/static loaded under the CSP");
      await page.screenshot({ path: `${ARTIFACTS}03-overview.png`, fullPage: true });

      await page.click("a[href='/admin/audit']");
      assertStringIncludes((await page.locator("main").textContent())!, "no tail to show");
      await page.screenshot({ path: `${ARTIFACTS}04-audit.png`, fullPage: true });

      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === "talosctl_oidc_admin_session")!;
      assert(session.httpOnly && session.secure && session.sameSite === "Strict");

      await Promise.all([page.waitForURL(`${server.url}/admin/`), page.click("#logout")]);
      assertEquals(await page.locator("h1").textContent(), "Admin Login");
      assertEquals((await context.cookies()).some((c) => c.name === "talosctl_oidc_admin_session"), false);
      await page.screenshot({ path: `${ARTIFACTS}05-logged-out.png` });
      assertEquals(violations, [], "no CSP violations");
    } finally {
      await browser.close();
    }
    const types = server.audit.map((e) => String(e.type));
    assertEquals(types.filter((t) => t.startsWith("admin_login")), ["admin_login_failed", "admin_login"]);
  },
});
