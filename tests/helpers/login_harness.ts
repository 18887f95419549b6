/**
 * @module In-process login adapters for tests: real token cache files in a temp HOME, stderr captured, a browser
 * opener that records each URL and hands it to a walker, and the clock and sleep the test chooses.
 */

import { join } from "node:path";
import { parseFlags } from "../../shared/cli.ts";
import { type Clock, systemClock } from "../../shared/clock.ts";
import { textLogger } from "../../shared/log.ts";
import type { BrowserOpener } from "../../client/browser.ts";
import { createTokenCache } from "../../client/token_cache/token_cache.ts";
import type { LoginDeps } from "../../client/login/deps.ts";
import { loginSpec } from "../../client/login/flags.ts";
import { type LoginInput, toLoginInput } from "../../client/login/input.ts";
import { withProgress } from "../../client/login/progress.ts";
import { walkLogin } from "./browser_walker.ts";

export interface LoginHarness {
  deps: LoginDeps;
  /** Everything written to stderr, logger lines included. */
  stderr: string[];
  /** Each URL the browser was asked to open. */
  opened: string[];
  /** Aborting it is Ctrl-C. */
  controller: AbortController;
  /** Settles when every browser walk started so far has. */
  walks(): Promise<unknown>;
}

export interface LoginHarnessOptions {
  home: string;
  clock?: Clock;
  /** What the browser does with a URL (default: sign in as alice through the IdP's real pages). */
  browser?: (url: string) => Promise<unknown>;
  /** Default: resolve at once (the clock does not move). */
  sleep?: LoginDeps["sleep"];
}

/** Adapters for runLogin and getIdToken, with a desktop platform (a browser can be opened). */
export function loginHarness(o: LoginHarnessOptions): LoginHarness {
  const stderr: string[] = [];
  const opened: string[] = [];
  const walks: Promise<unknown>[] = [];
  const controller = new AbortController();
  const env = { HOME: o.home, XDG_CONFIG_HOME: join(o.home, ".config") };
  const stdio = withProgress({ isTerminal: false, stdout: () => {}, stderr: (t) => void stderr.push(t) });
  const logger = textLogger({ write: (l) => void stderr.push(l + "\n") });
  const browser: BrowserOpener = {
    open(url) {
      opened.push(url);
      walks.push((o.browser ?? walkLogin)(url).catch((err) => err));
      return Promise.resolve({ command: "test", wait: () => Promise.resolve(true) });
    },
  };
  const deps: LoginDeps = {
    stdio,
    env,
    signal: controller.signal,
    clock: o.clock ?? systemClock,
    logger,
    tokenCache: createTokenCache({ env, logger, keychain: null }),
    browser,
    platform: { os: "linux", env: { DISPLAY: ":0" }, wsl: false },
    sleep: o.sleep ?? (() => Promise.resolve()),
    loginTimeoutMs: 60_000,
  };
  return { deps, stderr, opened, controller, walks: () => Promise.all(walks) };
}

/** Login input for a test IdP and server, as the flags would give it (callback on any free port). */
export function loginInput(
  idp: { issuer: string; clientId: string },
  server: { url: string },
  home: string,
  ...extra: string[]
): Readonly<LoginInput> {
  const args = ["--provider", idp.issuer, "--client-id", idp.clientId, "--server", server.url, "--callback-port", "0"];
  return toLoginInput(parseFlags(loginSpec, [...args, ...extra], { HOME: home }));
}
