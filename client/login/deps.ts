/** @module The adapters a sign-in runs with (stdio, clock, logger, token cache, browser, sleep) and how to build them. */

import type { CommandContext } from "../../shared/cli.ts";
import { type Clock, systemClock } from "../../shared/clock.ts";
import { type Logger, textLogger } from "../../shared/log.ts";
import type { BrowserOpener, BrowserPlatform, createBrowserOpener } from "../browser.ts";
import { createTokenCache, type LocalTokenCache } from "../token_cache/token_cache.ts";
import { LOGIN_TIMEOUT_MS } from "../oidc/deadline.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { type ProgressStdio, withProgress } from "./progress.ts";

/** The edges of the world a sign-in touches; tests inject a clock, a browser, a sleep and a cache in a temp HOME. */
export interface LoginDeps {
  /** Every write of the run goes through here (logger included), so the spinner never garbles a line. */
  stdio: ProgressStdio;
  env: CommandContext["env"];
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  clock: Clock;
  logger: Logger;
  /** Read, written and locked (read-refresh-write) per cache key. */
  tokenCache: Pick<LocalTokenCache, "get" | "put" | "lock">;
  browser: BrowserOpener;
  /** Used to decide whether a browser can be opened at all (automatic device flow). */
  platform: BrowserPlatform;
  /** Wait `ms` or until `signal` aborts (then reject with its reason). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Bound of one browser or device login (default 5 minutes). */
  loginTimeoutMs: number;
  /** How long the browser tab waits for the end of the login before "see your terminal" (default 10 s). */
  callbackPageHoldMs?: number;
  /**
   * After how long without a callback login says what the browser may be showing (default 30 s;
   * TALOSCTL_OIDC_BROWSER_HINT_AFTER).
   */
  browserHintMs?: number;
}

/** The real adapters for a CLI run. */
export async function createLoginDeps(
  ctx: CommandContext,
  o: { readonly verbose: boolean; readonly browserCommand?: string | undefined },
): Promise<LoginDeps> {
  const stdio = withProgress(ctx.stdio);
  const logger = textLogger({ verbose: o.verbose, write: (line) => stdio.stderr(line + "\n") });
  const platform: BrowserPlatform = { os: Deno.build.os, env: ctx.env };
  return {
    stdio,
    env: ctx.env,
    signal: ctx.signal,
    clock: systemClock,
    logger,
    tokenCache: createTokenCache({ env: ctx.env, logger }),
    browser: openerOnFirstUse({ ...platform, browserCommand: o.browserCommand, logger, verbose: o.verbose }),
    platform,
    // Loaded on first use: kube token answering from the cache (every kubectl call) never waits.
    sleep: async (ms, signal) => await (await import("../../shared/sleep.ts")).sleep(ms, signal),
    loginTimeoutMs: LOGIN_TIMEOUT_MS,
    ...(ctx.env.TALOSCTL_OIDC_BROWSER_HINT_AFTER
      ? { browserHintMs: await hintAfter(ctx.env.TALOSCTL_OIDC_BROWSER_HINT_AFTER) }
      : {}),
  };
}

/** The browser opener, its module loaded to open one: kube token answering from the cache (every kubectl call) opens none. */
function openerOnFirstUse(options: Parameters<typeof createBrowserOpener>[0]): BrowserOpener {
  return { open: async (url) => (await import("../browser.ts")).createBrowserOpener(options).open(url) };
}

/** TALOSCTL_OIDC_BROWSER_HINT_AFTER as milliseconds (0: never). @throws {TalosOidcError} ERR_USAGE */
async function hintAfter(text: string): Promise<number> {
  const { parseDuration } = await import("../../shared/duration.ts");
  try {
    return parseDuration(text);
  } catch (err) {
    throw new TalosOidcError("ERR_USAGE", `TALOSCTL_OIDC_BROWSER_HINT_AFTER: ${(err as Error).message}`);
  }
}
