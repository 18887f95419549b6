/**
 * @module `talosctl-oidc setup`: check the IdP, sign in once, show the ID token's claims and suggested RBAC rules,
 * pin the exchange server's CA after a fingerprint check, and write a profile (or print the login command).
 */

import { join, resolve } from "node:path";
import { type Command, defineCommand, defineSpec, EXIT, requireFlags, usageError } from "../../shared/cli.ts";
import { type Clock, systemClock } from "../../shared/clock.ts";
import { textLogger } from "../../shared/log.ts";
import { type BrowserOpener, createBrowserOpener } from "../browser.ts";
import { formatResults } from "../doctor/report.ts";
import { expandHome, userConfigDir } from "../paths.ts";
import { loginCommandFor, type Profile, writeProfile } from "../profiles.ts";
import { assessProvider } from "../setup/discovery_report.ts";
import { formatRbacYaml, suggestRules } from "../setup/rbac_suggest.ts";
import { pinServerCa } from "../setup/pin.ts";
import { signIn } from "../setup/sign_in.ts";
import { createTokenCache } from "../token_cache/token_cache.ts";
import { loadCallbackTls } from "../oidc/callback_tls.ts";
import {
  callbackPortFlag,
  clientIdFlag,
  clientSecretFlag,
  contextNameFlag,
  INSECURE_PROVIDER_FLAG,
  providerFlag,
  serverCaFlag,
  serverFlag,
  talosconfigFlag,
  VERBOSE_FLAG,
} from "../flags.ts";
import { DEFAULT_SCOPES, LOCAL_SERVER_FLAGS, SIGN_IN } from "../login/flags.ts";
import { localServerPair } from "../login/input.ts";
import { sleep } from "../../shared/sleep.ts";
import { normaliseScopes } from "../login/cached_id_token.ts";

const spec = defineSpec({
  name: "setup",
  usage: "talosctl-oidc setup --provider URL --client-id ID [--server URL] [--profile NAME] [flags]",
  description: `
1. Reads the IdP's discovery document: PKCE S256, public clients, device flow, refresh tokens, a groups scope.
2. Signs you in once (browser, or --device-code) and prints the ID token's claims: exactly what the exchange
   server's RBAC rules see. Suggests rules for the groups it finds. The tokens are cached for the next login.
3. With --server: fetches the server's self-signed CA from /ca, shows its SHA-256 and pins it once you confirm it
   matches the server's log (--server-ca-fingerprint or --yes when not on a terminal).
4. With --profile NAME: saves everything so that later runs are "talosctl-oidc login --profile NAME".`,
  flags: [
    providerFlag("OIDC issuer URL"),
    INSECURE_PROVIDER_FLAG,
    clientIdFlag("OIDC client ID"),
    clientSecretFlag("only for IdPs that require one for native apps (Google)"),
    serverFlag("exchange server URL"),
    { name: "profile", type: "string", arg: "NAME", description: "save a login profile under this name" },
    serverCaFlag("pin this CA file instead of fetching /ca"),
    {
      name: "server-ca-fingerprint",
      type: "string",
      arg: "SHA256",
      description: "expected SHA-256 of the server's CA (from its log)",
    },
    {
      name: "yes",
      short: "y",
      type: "boolean",
      description: "accept the server's CA without asking (not recommended)",
    },
    { ...SIGN_IN.scopes, default: [], description: "scopes, comma-separated (default: from discovery)" },
    {
      ...contextNameFlag("talosconfig context name for login (default oidc)"),
      default: undefined,
    },
    talosconfigFlag("talosconfig for login to write"),
    callbackPortFlag("loopback callback port"),
    { name: "device-code", type: "boolean", description: "sign in with the device flow (RFC 8628)" },
    { name: "skip-open-browser", type: "boolean", description: "print the URL instead of opening a browser" },
    SIGN_IN.browserCommand,
    ...LOCAL_SERVER_FLAGS,
    VERBOSE_FLAG,
  ],
  examples: [
    "talosctl-oidc setup --provider https://id.example.com --client-id talosctl",
    "talosctl-oidc setup --provider https://id.example.com --client-id talosctl \\\n" +
    "    --server https://talos-oidc.example.com:8443 --profile prod",
  ],
});

export interface SetupDeps {
  clock?: Clock;
  /** Browser opener (tests pass a scripted one); default: the platform's, or --browser-command. */
  browser?: BrowserOpener;
}

/** Build the setup command; tests inject the browser. */
export function createSetupCommand(deps: SetupDeps = {}): Command<typeof spec.flags> {
  return defineCommand(spec, async (ctx, parsed) => {
    const v = parsed.values;
    const { provider, "client-id": clientId } = requireFlags(spec, v, ["provider", "client-id"]);
    const port = v["callback-port"];
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw usageError("setup", `invalid --callback-port "${port}"`);
    const profileName = v.profile, server = v.server?.replace(/\/+$/, "");
    const clientSecret = v["client-secret"];
    const clock = deps.clock ?? systemClock;
    // Checked (and read) before anything else happens; saved as absolute paths, read again at each login.
    const pair = localServerPair(v, "setup");
    const callbackTls = pair ? await loadCallbackTls(pair, ctx.env, clock.now()) : undefined;
    const pairPaths = pair
      ? {
        localServerCert: resolve(expandHome(pair.cert, ctx.env)),
        localServerKey: resolve(expandHome(pair.key, ctx.env)),
      }
      : {};
    const logger = textLogger({ verbose: v.verbose, write: (l) => ctx.stdio.stderr(l + "\n") });
    const out = (t: string) => ctx.stdio.stdout(t);

    out(`IdP ${provider}, client "${clientId}"\n`);
    const report = await assessProvider(provider, ctx.signal, Boolean(clientSecret), v["insecure-provider"]);
    out(formatResults(report.lines).replace(/\n\n[^\n]*\n$/, "\n"));
    if (!report.usable) return EXIT.FAILURE;
    const asked = parsed.explicit.has("scopes") ? v.scopes : report.scopes;
    const scopes = asked.includes("openid") ? asked : ["openid", ...asked]; // as login asks (client/login/input.ts)

    ctx.stdio.stderr(`\nSigning in to ${report.metadata.issuer} once to see your ID token...\n`);
    const browser = deps.browser ?? createBrowserOpener({
      os: Deno.build.os,
      env: ctx.env,
      browserCommand: v["browser-command"],
      logger,
    });
    const { tokens, claims } = await signIn({
      metadata: report.metadata,
      clientId,
      ...(clientSecret ? { clientSecret } : {}),
      scopes,
      callbackPort: Number(port),
      ...(callbackTls ? { callbackTls } : {}),
      deviceCode: v["device-code"],
      skipOpenBrowser: v["skip-open-browser"],
      browser,
      stdio: ctx.stdio,
      clock,
      logger,
      signal: ctx.signal,
      sleep,
    });
    const contextName = v["context-name"];
    await createTokenCache({ env: ctx.env, logger }).put(
      { context: contextName ?? "oidc", issuer: provider, clientId, scopes: normaliseScopes(scopes) },
      {
        issuer: provider,
        client_id: clientId,
        id_token: tokens.id_token,
        ...(tokens.access_token ? { access_token: tokens.access_token } : {}),
        ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
        ...(tokens.expires_in
          ? { expires_at: new Date(clock.now().getTime() + tokens.expires_in * 1000).toISOString() }
          : {}),
      },
    ).catch((err) => logger.warn(`could not cache the tokens: ${err instanceof Error ? err.message : err}`));

    out(`\nYour ID token's claims (what the exchange server's RBAC sees):\n${JSON.stringify(claims, null, 2)}\n`);
    if (!tokens.refresh_token) {
      out(`\nNo refresh token was issued: every certificate renewal will need the browser.\n`);
    }
    const { rules, notes } = suggestRules(claims);
    out(`\nSuggested RBAC rules for the exchange server's config file (check the roles):\n\n`);
    out(formatRbacYaml(rules, { issuer: report.metadata.issuer, clientId }));
    for (const n of notes) out(`# note: ${n}\n`);

    const profile: Profile = {
      name: profileName ?? "",
      provider,
      clientId,
      server: server ?? "",
      ...(clientSecret ? { clientSecret } : {}),
      ...(contextName ? { contextName } : {}),
      ...(v.talosconfig ? { talosconfig: v.talosconfig } : {}),
      ...(sameScopes(scopes, DEFAULT_SCOPES) ? {} : { scopes }),
      ...(parsed.explicit.has("callback-port") ? { callbackPort: Number(port) } : {}),
      ...(v["device-code"] ? { deviceCode: true } : {}),
      ...pairPaths,
    };
    if (!server) {
      out(`\nNext: run setup again with --server URL (your exchange server) to pin its CA and save a profile.\n`);
      return EXIT.OK;
    }
    out(`\nExchange server ${server}\n`);
    const caPath = v["server-ca"];
    const pinned = await pinServerCa({
      server,
      ...(caPath ? { caFile: expandHome(caPath, ctx.env) } : {}),
      ...(v["server-ca-fingerprint"] ? { expected: v["server-ca-fingerprint"] } : {}),
      yes: v.yes,
      stdio: ctx.stdio,
      signal: ctx.signal,
    });
    out(`${pinned.message}\n`);
    if (pinned.ca) profile.serverCaSha256 = pinned.ca.sha256;
    if (profileName) {
      const path = await writeProfile(profile, ctx.env, pinned.ca?.pem);
      out(`\nProfile saved: ${path}\nNext:\n  talosctl-oidc login --profile ${profileName}\n`);
    } else {
      if (pinned.ca) {
        const file = join(
          userConfigDir(ctx.env),
          "talosctl-oidc",
          `server-ca-${new URL(server).host.replace(/[^A-Za-z0-9.-]/g, "_")}.pem`,
        );
        await Deno.mkdir(join(userConfigDir(ctx.env), "talosctl-oidc"), { recursive: true, mode: 0o700 });
        await Deno.writeTextFile(file, pinned.ca.pem, { mode: 0o600 });
        profile.serverCa = file;
      }
      out(`\nNext (or run setup again with --profile NAME to save this):\n  ${loginCommandFor(profile)}\n`);
    }
    return EXIT.OK;
  });
}

/** The setup command as main.ts runs it. */
export const setupCommand = createSetupCommand();

function sameScopes(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((s) => b.includes(s));
}
