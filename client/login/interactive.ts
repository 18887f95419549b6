/**
 * @module The interactive part of login: browser (Auth Code + PKCE) or device flow, the printed URL, the
 * spinner, the 5-minute bound, and the watch-mode rule of at most one browser tab per failed refresh.
 */

import { type HeldPage, runAuthCodeFlow, type VerifiedTokens } from "../oidc/auth_code.ts";
import { loadCallbackTls } from "../oidc/callback_tls.ts";
import { withDeadline } from "../oidc/deadline.ts";
import { runDeviceFlow } from "../oidc/device_flow.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { formatDuration } from "../../shared/duration.ts";
import { isHeadless } from "../browser.ts";
import type { BrowserPlatform } from "../browser.ts";
import type { SignInInput } from "./input.ts";
import type { SignInRun } from "./run.ts";

/** Device flow when asked, or on a machine that cannot show a browser and where the IdP offers it. */
export function chooseDeviceFlow(o: Readonly<SignInInput>, platform: BrowserPlatform, hasDevice: boolean): boolean {
  if (o.deviceCode) return true;
  if (o.skipOpenBrowser || o.explicitCallback) return false;
  return hasDevice && isHeadless(platform, o.browserCommand);
}

/** How long a held callback page waits for the caller before it says "see your terminal". */
const PAGE_HOLD_MS = 10_000;

/**
 * Sign in interactively and return verified tokens (ID token checked with this login's nonce). `holdPage`: keep the
 * browser tab waiting (at most `deps.callbackPageHoldMs`) for the caller to say how the rest went.
 */
export async function signInInteractively(
  run: SignInRun,
  options: { reauthenticate?: boolean; holdPage?: boolean } = {},
): Promise<VerifiedTokens & { page?: HeldPage }> {
  const { input: o, deps: d } = run;
  const { metadata, verifier } = await run.idp();
  const client = { clientId: o.clientId, clientSecret: o.clientSecret };
  const device = chooseDeviceFlow(o, d.platform, Boolean(metadata.device_authorization_endpoint));
  d.logger.info(`Signing in with ${metadata.issuer}${device ? " (device flow)" : ""}`);
  let waiting: { stop(): void } | undefined;
  let hint: ReturnType<typeof setTimeout> | undefined;
  const hintMs = d.browserHintMs ?? BROWSER_HINT_MS;
  try {
    return await withDeadline(d.signal, d.loginTimeoutMs, "waiting for the login", async (signal) => {
      if (device) {
        const tokens = await runDeviceFlow({
          metadata,
          client,
          scopes: o.scopes,
          clock: d.clock,
          logger: d.logger,
          signal,
          sleep: d.sleep,
          prompt(p) {
            if (p.verification_uri_complete) {
              d.stdio.stderr(`Open this URL on any device to sign in:\n  ${p.verification_uri_complete}\n\n`);
              d.stdio.stderr(`If it asks for a code, enter: ${p.user_code}\n\n`);
            } else {
              d.stdio.stderr(`Open ${p.verification_uri} on any device and enter the code: ${p.user_code}\n\n`);
            }
            waiting = d.stdio.startWaiting("Waiting for the login to be approved");
          },
        });
        if (!tokens.id_token) {
          throw new TalosOidcError("ERR_OIDC", "the IdP did not return an ID token", {
            hint: `make sure the "openid" scope is requested (--scopes)`,
          });
        }
        await verifier.verify(tokens.id_token);
        return { ...tokens, id_token: tokens.id_token };
      }
      // Read again for each browser login (login checked it at start): a long --watch picks up a renewed pair.
      const callbackTls = o.localServerCert && o.localServerKey
        ? await loadCallbackTls({ cert: o.localServerCert, key: o.localServerKey }, d.env, d.clock.now())
        : undefined;
      return await runAuthCodeFlow({
        metadata,
        client,
        scopes: o.scopes,
        listenAddresses: o.listenAddresses,
        redirectUrl: o.redirectUrl,
        ...(callbackTls ? { callbackTls } : {}),
        ...(options.reauthenticate ? { reauthenticate: true } : {}),
        ...(options.holdPage ? { holdPageMs: d.callbackPageHoldMs ?? PAGE_HOLD_MS } : {}),
        logger: d.logger,
        signal,
        verifyIdToken: (idToken, nonce) => verifier.verify(idToken, { nonce }),
        presentUrl: async (url) => {
          await presentUrl(run, url);
          waiting = d.stdio.startWaiting("Waiting for the browser login");
          if (hintMs > 0) hint = setTimeout(() => d.logger.warn(noCallbackHint(o, url, hintMs)), hintMs);
        },
      });
    });
  } finally {
    clearTimeout(hint);
    waiting?.stop();
  }
}

/** How long the browser may take before login says what it may be showing (a wrong client id never calls back). */
const BROWSER_HINT_MS = 30_000;

/**
 * The one line printed when no callback came after `ms`: an IdP that refuses the request (unknown client, redirect
 * URI not registered) shows its error page and never calls back, so the terminal would otherwise wait it out.
 */
function noCallbackHint(o: Readonly<SignInInput>, url: string, ms: number): string {
  const redirect = new URL(url).searchParams.get("redirect_uri") ?? "the redirect URI";
  return `No answer from the browser after ${formatDuration(ms)}. If it shows an error from the IdP (such as ` +
    `"invalid client" or a redirect URI mismatch), check --client-id "${o.clientId}" and that ${redirect} is ` +
    `registered for that client at the IdP; then press Ctrl-C and run login again. Still waiting...`;
}

async function presentUrl(run: SignInRun, url: string): Promise<void> {
  const { input: o, deps: d } = run;
  if (o.skipOpenBrowser) return printUrl(d, "Open this URL to sign in:", url);
  if (isHeadless(d.platform, o.browserCommand)) {
    d.logger.info("No display found: open the URL on a machine with a browser that can reach the callback.");
    return printUrl(d, "Open this URL to sign in:", url);
  }
  if (!run.browserTabs.take()) {
    d.logger.warn("Not opening another browser tab (one was already opened for this renewal).");
    return printUrl(d, "Open this URL to sign in:", url);
  }
  d.logger.info("Opening the browser to sign in...");
  try {
    await d.browser.open(url); // not waited for: a browser may stay open; the callback tells us when it is done
  } catch (err) {
    d.logger.warn(`Could not open a browser (${err instanceof Error ? err.message : String(err)}).`);
  }
  printUrl(d, "If the browser does not open, visit:", url);
}

function printUrl(d: SignInRun["deps"], lead: string, url: string): void {
  d.stdio.stderr(`${lead}\n  ${url}\n\n`);
}
