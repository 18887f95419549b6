/**
 * @module A real headless Chromium (playwright-core) as the user's browser: open the authorization URL, sign in
 * on the IdP's page (#login, #password, #submit), wait for the loopback callback page, take screenshots.
 *
 * As a `--browser-command`: `deno run -A tests/helpers/chromium.ts <screenshot-prefix> <user> <url>`. Login does not
 * wait for its browser, so this writes `<prefix>-result.json` last; {@link waitForChromiumResult} waits for it.
 */

import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

/** The flags the project runs Chromium with (no sandbox in containers, no background traffic). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const CHROMIUM_PATH = "/usr/bin/chromium";

/** True when the Chromium binary is installed (apt `chromium`). */
export function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return false;
  }
}

export interface ChromiumLoginResult {
  /** The callback page's heading ("Authentication Successful" / "Authentication Failed"). */
  heading: string;
  finalUrl: string;
}

/** Sign in through the IdP page in Chromium; screenshots go to `<prefix>-idp.png` and `<prefix>-callback.png`. */
export async function loginWithChromium(url: string, user: string, prefix: string): Promise<ChromiumLoginResult> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 640 } });
    await page.goto(url);
    await page.waitForSelector("#login");
    await page.fill("#login", user);
    await page.fill("#password", user);
    await page.screenshot({ path: `${prefix}-idp.png` });
    await Promise.all([page.waitForURL(/\/callback\?/), page.click("#submit")]);
    await page.waitForSelector("#success, #failure");
    await page.screenshot({ path: `${prefix}-callback.png` });
    return { heading: (await page.textContent("h1")) ?? "", finalUrl: page.url() };
  } finally {
    await browser.close();
  }
}

/** `--browser-command` that runs this file with Chromium for `user`, screenshots under `prefix`. */
export function chromiumBrowserCommand(prefix: string, user = "alice"): string {
  return [Deno.execPath(), "run", "-A", fileURLToPath(import.meta.url), prefix, user].map((s) => `'${s}'`).join(" ");
}

/** Wait (up to `timeoutMs`) for the `--browser-command` run under `prefix` to finish and return what it saw. */
export async function waitForChromiumResult(prefix: string, timeoutMs = 30_000): Promise<ChromiumLoginResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return JSON.parse(await Deno.readTextFile(`${prefix}-result.json`));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

if (import.meta.main) {
  const [prefix, user, url] = Deno.args;
  if (!prefix || !user || !url) {
    console.error("usage: chromium.ts <screenshot-prefix> <user> <url>");
    Deno.exit(2);
  }
  const r = await loginWithChromium(url, user, prefix);
  // Written whole under a temp name and renamed, so a waiting test never reads half a file.
  await Deno.writeTextFile(`${prefix}-result.json.tmp`, JSON.stringify(r));
  await Deno.rename(`${prefix}-result.json.tmp`, `${prefix}-result.json`);
  Deno.exit(r.heading.includes("Successful") ? 0 : 1);
}
