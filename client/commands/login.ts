/** @module The `login` command: parse flags, build the adapters, run one pass or the watch loop. */

import { type Command, EXIT, parseCommand } from "../../shared/cli.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { expandHome, resolveTalosconfigPath } from "../paths.ts";
import { checkServerUrl } from "../exchange_client.ts";
import { loadCallbackTls } from "../oidc/callback_tls.ts";
import { applyNamedProfile } from "../profiles.ts";
import { createLoginDeps, type LoginDeps } from "./login_deps.ts";
import { loginOnce, type LoginTarget } from "./login_once.ts";
import { type LoginOptions, loginSpec, toLoginOptions } from "./login_options.ts";
import { createOidcSession } from "./login_session.ts";
import { watchLogin } from "./login_watch.ts";

/**
 * Run `login` with explicit adapters (tests inject a clock, a browser, a cache). Returns the exit code.
 * @throws {TalosOidcError} for failures; main.ts prints them (exit 1, or 2 for usage and configuration).
 */
export async function runLogin(o: Readonly<LoginOptions>, d: LoginDeps): Promise<number> {
  const target = await resolveTarget(o, d);
  const session = createOidcSession(o, d);
  const budget = { mayOpen: true };
  try {
    if (o.watch) await watchLogin(o, d, target, session, budget);
    else await loginOnce(o, d, target, session, budget);
  } catch (err) {
    if (!d.signal.aborted) throw err;
  }
  if (d.signal.aborted && !o.watch) {
    d.stdio.stderr("login interrupted\n");
    return EXIT.FAILURE;
  }
  return EXIT.OK;
}

/**
 * Check --server (refusing http:// without --insecure), read --server-ca and the callback's TLS pair, resolve the
 * talosconfig path: every configuration problem shows before anything goes over the network.
 */
async function resolveTarget(o: Readonly<LoginOptions>, d: LoginDeps): Promise<LoginTarget> {
  const server = checkServerUrl(o.server, o.insecure);
  if (o.insecure && server.protocol === "https:") {
    d.logger.warn("--insecure only allows http:// server URLs; the TLS certificate of the server is still verified");
  }
  let serverCaPem: string | undefined;
  if (o.serverCa) {
    const path = expandHome(o.serverCa, d.env);
    try {
      serverCaPem = await Deno.readTextFile(path);
    } catch (err) {
      throw new TalosOidcError("ERR_USAGE", `reading the --server-ca file "${path}" failed`, { cause: err });
    }
    if (!serverCaPem.includes("-----BEGIN CERTIFICATE-----")) {
      throw new TalosOidcError("ERR_USAGE", `the --server-ca file "${path}" holds no PEM certificate`);
    }
  }
  if (o.localServerCert && o.localServerKey) {
    await loadCallbackTls({ cert: o.localServerCert, key: o.localServerKey }, d.env, d.clock.now());
  }
  return {
    server,
    ...(serverCaPem ? { serverCaPem } : {}),
    talosconfigPath: resolveTalosconfigPath(o.talosconfig, d.env),
  };
}

export const loginCommand: Command = {
  spec: loginSpec,
  async run(ctx) {
    const parsed = parseCommand(loginSpec, ctx);
    if (!parsed) return EXIT.OK;
    await applyNamedProfile(parsed, ctx.env); // flag > env > profile > default
    const o = toLoginOptions(parsed);
    return await runLogin(o, await createLoginDeps(ctx, o));
  },
};
