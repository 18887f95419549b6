/** @module `demo --headless`: run the real login in-process with a scripted browser, then ask the apid stand-in. */

import { join } from "node:path";
import { type CommandContext, parseFlags } from "../shared/cli.ts";
import type { BrowserOpener } from "../client/browser.ts";
import { createLoginDeps } from "../client/login/deps.ts";
import { loginSpec } from "../client/login/flags.ts";
import { toLoginInput } from "../client/login/input.ts";
import { runLogin } from "../client/login/login.ts";
import { walkLogin } from "../tests/helpers/browser_walker.ts";
import { DEMO_CONTEXT, DEMO_SCOPES } from "./constants.ts";
import type { DemoStack } from "./stack.ts";
import { type Identity, whoami } from "./whoami.ts";

/** The login argv for the demo stack (what the interactive demo prints, minus the CLI prefix). */
function demoLoginArgs(s: DemoStack): string[] {
  return [
    ...["--provider", s.idp.issuer, "--client-id", s.idp.clientId],
    ...["--server", s.server.url, "--server-ca", s.paths.serverCa],
    ...["--talosconfig", s.paths.talosconfig, "--context-name", DEMO_CONTEXT],
    // Like Pocket ID or Dex, the demo IdP releases the groups claim only for the "groups" scope.
    ...["--scopes", DEMO_SCOPES],
  ];
}

/** The headless demo's environment: HOME and the token file under the demo's temp dir, no OS keychain. */
export function headlessEnv(s: DemoStack, ctx: Pick<CommandContext, "env">): Record<string, string | undefined> {
  return { ...ctx.env, HOME: s.paths.dir, XDG_CONFIG_HOME: join(s.paths.dir, "config"), TALOSCTL_OIDC_KEYCHAIN: "off" };
}

/**
 * Sign in as `user` through the demo IdP's real login page and write the context, then call apid with it.
 * Tokens are cached under the demo's temp dir (no OS keychain), so nothing outside it changes.
 * @throws {TalosOidcError} as login does (mallory: the server refuses, no RBAC rule matches).
 */
export async function runHeadless(s: DemoStack, user: string, ctx: CommandContext): Promise<Identity> {
  const env = headlessEnv(s, ctx);
  // A --browser-command marks the machine as able to show a browser; the scripted opener below replaces it.
  const args = [...demoLoginArgs(s), "--callback-port", "0", "--browser-command", "scripted-browser"];
  const input = toLoginInput(parseFlags(loginSpec, args, env));
  const walks: Promise<unknown>[] = [];
  const browser: BrowserOpener = {
    open(url) {
      const walk = walkLogin(url, user);
      walks.push(walk);
      return Promise.resolve({ command: "scripted-browser", wait: () => walk.then(() => true, () => false) });
    },
  };
  try {
    await runLogin(input, { ...(await createLoginDeps({ ...ctx, env }, input)), browser });
  } finally {
    await Promise.allSettled(walks);
  }
  return await whoami(s.paths.talosconfig, DEMO_CONTEXT);
}
