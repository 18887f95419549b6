/**
 * @module The login use case, top to bottom: check the target, then per pass: a certificate with more than a third
 * of its lifetime left means nothing to do; else, under the per-context lock, an ID token (cache → refresh → browser
 * or device flow), the exchange (with our CSR) and the talosconfig write. `--watch` repeats the pass.
 */

import { resolve } from "node:path";
import { formatDuration } from "../../shared/duration.ts";
import { isTalosOidcError, TalosOidcError } from "../../shared/errors.ts";
import { generateClientKey } from "../csr.ts";
import { checkServerUrl, exchangeForCertificate, type ExchangeResult, probeServer } from "../exchange_client.ts";
import { loadCallbackTls } from "../oidc/callback_tls.ts";
import { checkProviderUrl } from "../oidc/discovery.ts";
import { expandHome, resolveTalosconfigPath } from "../paths.ts";
import { type ClientCertInfo, parseClientCert, readContextCert } from "../talosconfig/cert.ts";
import { currentContext, parseTalosconfig, readTalosconfig } from "../talosconfig/read.ts";
import { writeContext } from "../talosconfig/write.ts";
import type { LoginDeps } from "./deps.ts";
import { writeLoginRecord } from "./login_record.ts";
import { forgetRefusedIdToken, type IdToken, lockTokenCache, obtainIdToken } from "./id_token.ts";
import type { LoginInput } from "./input.ts";
import { explainNoRoles, isNoRolesRefusal } from "./no_roles.ts";
import { refusedPage, signedInPage } from "./outcome_page.ts";
import { createSignInRun, type SignInRun } from "./run.ts";
import { type Attempt, watchRenewals } from "./watch.ts";

/** Where the certificate comes from and goes to, checked before anything goes over the network. */
interface LoginTarget {
  server: URL;
  serverCaPem?: string;
  talosconfigPath: string;
}

/** A sign-in run that ends in a talosconfig context. */
interface LoginRun extends SignInRun {
  readonly input: Readonly<LoginInput>;
  readonly target: LoginTarget;
  /** The current context --no-switch last said it keeps: a --watch renewal says so again only for another one. */
  keptSaid?: string;
}

/** What one pass did: nothing (the certificate is still good) or a renewal, and when the next one is due. */
export type LoginPass =
  & { cert: ClientCertInfo; renewAt: Date; context: string; talosconfigPath: string }
  & ({ outcome: "valid" } | {
    outcome: "renewed";
    /** Where the ID token that was exchanged came from. */
    tokenSource: IdToken["source"];
    /** The signed-in user: email, preferred_username or sub. */
    user: string;
    /** "client": our key, sent as a CSR; "server": the server made it (an older server). */
    keySource: ExchangeResult["keySource"];
    endpoints: string[];
  });

/** What runLogin did: every pass (one without --watch) and every failed renewal, in order. */
export interface LoginResult {
  attempts: Attempt<LoginPass>[];
  /** Ctrl-C or SIGTERM ended the run (the end of every --watch). */
  interrupted: boolean;
}

/**
 * Run `login`: one pass, or with `watch` passes until the signal aborts.
 * @throws {TalosOidcError} for failures (not for an abort); the talosconfig is only written on success.
 */
export async function runLogin(input: Readonly<LoginInput>, deps: LoginDeps): Promise<LoginResult> {
  const run: LoginRun = { ...createSignInRun(input, deps), input, target: await resolveTarget(input, deps) };
  const attempts: Attempt<LoginPass>[] = [];
  // --force applies until one pass got a certificate: later renewals of --watch reuse what that sign-in cached.
  let force = input.force;
  const pass = async () => {
    const p = await loginOnce(run, { force });
    force = false;
    return p;
  };
  try {
    if (input.watch) await watchRenewals(deps, pass, attempts);
    else attempts.push({ pass: await pass() });
  } catch (err) {
    if (!deps.signal.aborted) throw err;
  }
  return { attempts, interrupted: deps.signal.aborted };
}

/**
 * One pass: lock → valid certificate → ID token → exchange → write. With `force` (`login --force`) the certificate
 * and the cached tokens are not used: a fresh interactive sign-in, where the IdP asks again who signs in.
 */
async function loginOnce(run: LoginRun, options: { force?: boolean } = {}): Promise<LoginPass> {
  const { input: o, deps: d, target: t } = run;
  const force = options.force === true;
  const early = force ? null : await stillValidCert(run);
  if (early) return valid(run, early);
  await using _lock = await lockTokenCache(run);
  const after = force ? null : await stillValidCert(run); // another login may have just finished
  if (after) return valid(run, after);
  // Before any sign-in: a server that is down or whose TLS is not trusted would waste the user's browser login.
  await probeServer({ server: t.server, serverCaPem: t.serverCaPem, logger: d.logger }, d.signal);

  let token = await obtainIdToken(run, { interactive: true, fresh: force, holdPage: true });
  const tabs = token.page ? [token.page] : []; // the browser tab of a sign-in waits to show how this pass ends
  try {
    let result: ExchangeResult;
    try {
      result = await exchange(run, token.idToken);
    } catch (err) {
      // The server refused a cached token (e.g. its clock is ahead): refresh or sign in once, then try again.
      if (!(token.source === "cache" && refusedToken(err))) throw err;
      d.logger.info("The exchange server refused the cached ID token; getting a new one.");
      token = await obtainIdToken(run, { interactive: true, skipCachedIdToken: true, holdPage: true });
      if (token.page) tabs.push(token.page);
      result = await exchange(run, token.idToken);
    }
    const cert = parseClientCert(result.cert, "certificate from the exchange server"); // a broken one is never written
    const written = await writeContext(t.talosconfigPath, o.contextName, {
      endpoints: result.endpoints,
      ...(result.nodes ? { nodes: result.nodes } : {}),
      ...(o.nodes.length > 0 ? { nodesOverride: o.nodes } : {}),
      ...(o.switchContext ? {} : { keepCurrent: true }),
      ca: result.ca,
      crt: result.cert,
      key: result.key,
    });
    const pass = renewed(run, { token, result, cert, talosconfigPath: written.path });
    sayCurrentContext(run, currentContext(parseTalosconfig(written.before)));
    const serverCa = o.serverCa ? { server_ca: resolve(expandHome(o.serverCa, d.env)) } : {};
    await writeLoginRecord(o.contextName, { server: t.server.href.replace(/\/+$/, ""), ...serverCa }, d.env);
    await Promise.all(tabs.map((tab) => tab.finish(signedInPage(pass))));
    return pass;
  } catch (err) {
    // Never send the same claims again without saying so (id_token.ts), and say which claim is missing.
    const shown = isNoRolesRefusal(err) ? await refusedNoRoles(run, err, token) : err;
    await Promise.all(tabs.map((tab) => tab.finish(refusedPage(shown, d.signal.aborted))));
    throw shown;
  }
}

async function refusedNoRoles(run: LoginRun, err: TalosOidcError<"ERR_EXCHANGE">, token: IdToken) {
  await forgetRefusedIdToken(run);
  return explainNoRoles(err, {
    server: run.target.server.origin,
    user: userOf(token),
    claims: token.claims as unknown as Record<string, unknown>,
    scopes: run.input.scopes,
  });
}

/** When a certificate should be renewed: at 2/3 of its lifetime (a third left), never later than expiry. */
export function renewalTime(cert: Pick<ClientCertInfo, "notBefore" | "notAfter">): Date {
  const from = cert.notBefore.getTime();
  return new Date(from + (cert.notAfter.getTime() - from) * 2 / 3);
}

/** The context's certificate when it does not need renewing now, else null. Unreadable → null (renew). */
async function stillValidCert({ input: o, deps: d, target: t }: LoginRun): Promise<ClientCertInfo | null> {
  try {
    const cert = readContextCert((await readTalosconfig(t.talosconfigPath)).doc, o.contextName);
    const now = d.clock.now();
    if (cert && cert.notBefore <= now && renewalTime(cert) > now) return cert;
    if (cert) d.logger.debug(`the certificate of context "${o.contextName}" is due for renewal`);
  } catch (err) {
    d.logger.debug(`could not read the current certificate: ${err instanceof Error ? err.message : String(err)}`);
  }
  return null;
}

function valid({ input: o, deps: d, target: t, browserTabs }: LoginRun, cert: ClientCertInfo): LoginPass {
  browserTabs.earn(); // as after a renewal: nothing failed
  const renewAt = renewalTime(cert);
  d.logger.info(
    `Talos certificate for context "${o.contextName}" is still valid until ${cert.notAfter.toISOString()} ` +
      `(renewal due at ${renewAt.toISOString()}); nothing to do.`,
  );
  return { outcome: "valid", cert, renewAt, context: o.contextName, talosconfigPath: t.talosconfigPath };
}

interface Renewal {
  token: IdToken;
  result: ExchangeResult;
  cert: ClientCertInfo;
  talosconfigPath: string;
}

function renewed(
  run: LoginRun,
  { token, result, cert, talosconfigPath }: Renewal,
): Extract<LoginPass, { outcome: "renewed" }> {
  const { input: o, deps: d } = run;
  run.browserTabs.earn(); // this renewal worked: the next failed refresh may open one tab again
  const user = userOf(token);
  const key = result.keySource === "client" ? "made here" : "from server";
  d.logger.info(
    `Received a Talos client certificate for ${user} with roles [${cert.roles.join(", ")}], ` +
      `valid until ${cert.notAfter.toISOString()} (key ${key}).`,
  );
  d.logger.info(`Talosconfig updated: context "${o.contextName}" set with endpoints [${result.endpoints.join(", ")}]`);
  d.logger.info(`Config written to: ${talosconfigPath}`);
  d.logger.info(`Certificate expires in ${formatDuration(cert.notAfter.getTime() - d.clock.now().getTime())}`);
  const renewAt = renewalTime(cert);
  return {
    outcome: "renewed",
    cert,
    renewAt,
    context: o.contextName,
    talosconfigPath,
    tokenSource: token.source,
    user,
    keySource: result.keySource,
    endpoints: result.endpoints,
  };
}

async function exchange({ deps: d, target: t }: LoginRun, idToken: string): Promise<ExchangeResult> {
  d.logger.info(`Exchanging the ID token with ${t.server.origin}...`);
  const key = await generateClientKey();
  return await exchangeForCertificate(
    { server: t.server, serverCaPem: t.serverCaPem, logger: d.logger },
    idToken,
    key,
    d.signal,
  );
}

/**
 * One line when the current context changed from another one (each time: a --watch renewal may switch it back), or,
 * with --no-switch, stayed another one (once per run and context: every renewal keeps it).
 */
function sayCurrentContext(run: LoginRun, before: string): void {
  const { input: o, deps: d } = run;
  if (before === "" || before === o.contextName) return;
  if (o.switchContext) {
    d.logger.info(`Switched the current context from "${before}" to "${o.contextName}" (login --no-switch keeps it).`);
  } else if (run.keptSaid !== before) {
    run.keptSaid = before;
    d.logger.info(`The current context stays "${before}": use talosctl --context ${o.contextName}.`);
  }
}

/** The signed-in user as login shows it: email, else preferred_username, else sub. */
function userOf(token: IdToken): string {
  return token.claims.email ?? token.claims.preferred_username ?? token.claims.sub;
}

/** The exchange server refused the ID token itself (its stable code, not the HTTP status, says so). */
function refusedToken(err: unknown): boolean {
  return isTalosOidcError(err, "ERR_EXCHANGE") && err.fields?.serverCode === "ERR_INVALID_TOKEN";
}

/**
 * Check --provider and --server (plain http:// needs --insecure-provider or --insecure), read --server-ca and the
 * callback's TLS pair, resolve and parse the talosconfig: every configuration problem shows before anything goes over
 * the network.
 */
async function resolveTarget(o: Readonly<LoginInput>, d: LoginDeps): Promise<LoginTarget> {
  checkProviderUrl(o.provider, "--provider", o.insecureProvider);
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
  const talosconfigPath = resolveTalosconfigPath(o.talosconfig, d.env);
  await readTalosconfig(talosconfigPath); // a broken file is refused now, not after the sign-in (it is never written)
  return { server, ...(serverCaPem ? { serverCaPem } : {}), talosconfigPath };
}
