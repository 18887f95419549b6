/**
 * @module One login pass: nothing to do while the certificate has more than a third of its lifetime left;
 * otherwise, under the per-context lock, get an ID token, exchange it (with our CSR) and write the context.
 */

import { formatDuration } from "../../shared/duration.ts";
import { isTalosOidcError, TalosOidcError } from "../../shared/errors.ts";
import { generateClientKey } from "../csr.ts";
import { exchangeForCertificate, type ExchangeResult } from "../exchange_client.ts";
import { type ClientCertInfo, parseClientCert, readContextCert } from "../talosconfig/cert.ts";
import { readTalosconfig } from "../talosconfig/read.ts";
import { writeContext } from "../talosconfig/write.ts";
import type { LoginDeps } from "./login_deps.ts";
import type { BrowserBudget } from "./login_interactive.ts";
import type { LoginOptions } from "./login_options.ts";
import type { OidcSession } from "./login_session.ts";
import { cacheKeyFor, obtainIdToken } from "./login_token.ts";

/** What the run needs beyond options and adapters. */
export interface LoginTarget {
  server: URL;
  serverCaPem?: string;
  talosconfigPath: string;
}

export interface LoginPassResult {
  /** "valid": the existing certificate was good enough; "renewed": a new one was written. */
  outcome: "valid" | "renewed";
  cert: Pick<ClientCertInfo, "notBefore" | "notAfter" | "roles">;
}

/** When a certificate should be renewed: at 2/3 of its lifetime (a third left), never later than expiry. */
export function renewalTime(cert: Pick<ClientCertInfo, "notBefore" | "notAfter">): Date {
  const from = cert.notBefore.getTime();
  return new Date(from + (cert.notAfter.getTime() - from) * 2 / 3);
}

/** The context's certificate when it does not need renewing at `now`, else null. Unreadable → null (renew). */
export async function stillValidCert(path: string, context: string, d: LoginDeps): Promise<ClientCertInfo | null> {
  try {
    const cert = readContextCert((await readTalosconfig(path)).doc, context);
    const now = d.clock.now();
    if (cert && cert.notBefore <= now && renewalTime(cert) > now) return cert;
    if (cert) d.logger.debug(`the certificate of context "${context}" is due for renewal`);
  } catch (err) {
    d.logger.debug(`could not read the current certificate: ${err instanceof Error ? err.message : String(err)}`);
  }
  return null;
}

/** Run one pass. Throws TalosOidcError on failure; the talosconfig is only written on success. */
export async function loginOnce(
  o: Readonly<LoginOptions>,
  d: LoginDeps,
  t: LoginTarget,
  session: OidcSession,
  budget: BrowserBudget,
): Promise<LoginPassResult> {
  const early = await stillValidCert(t.talosconfigPath, o.contextName, d);
  if (early) return valid(o, d, early);
  await using _lock = await lockContext(o, d);
  const after = await stillValidCert(t.talosconfigPath, o.contextName, d); // another login may have just finished
  if (after) return valid(o, d, after);

  let token = await obtainIdToken(o, d, session, budget);
  let result: ExchangeResult;
  try {
    result = await exchange(d, t, token.idToken);
  } catch (err) {
    // The server refused a cached token (e.g. its clock is ahead): refresh or sign in once, then try again.
    if (!(isTalosOidcError(err, "ERR_EXCHANGE") && err.fields?.status === 401 && token.source === "cache")) throw err;
    d.logger.info("The exchange server refused the cached ID token; getting a new one.");
    token = await obtainIdToken(o, d, session, budget, true);
    result = await exchange(d, t, token.idToken);
  }
  const cert = parseClientCert(result.cert, "certificate from the exchange server");
  const written = await writeContext(t.talosconfigPath, o.contextName, {
    endpoints: result.endpoints,
    ...(result.nodes ? { nodes: result.nodes } : {}),
    ...(o.nodes.length > 0 ? { nodesOverride: o.nodes } : {}),
    ca: result.ca,
    crt: result.cert,
    key: result.key,
  });
  const who = token.claims.email ?? token.claims.preferred_username ?? token.claims.sub;
  const life = formatDuration(cert.notAfter.getTime() - d.clock.now().getTime());
  d.logger.info(
    `Received a Talos client certificate for ${who} with roles [${cert.roles.join(", ")}], ` +
      `valid until ${cert.notAfter.toISOString()} (key ${
        result.keySource === "client" ? "made here" : "from server"
      }).`,
  );
  d.logger.info(`Talosconfig updated: context "${o.contextName}" set with endpoints [${result.endpoints.join(", ")}]`);
  d.logger.info(`Config written to: ${written.path}`);
  d.logger.info(`Certificate expires in ${life}`);
  return { outcome: "renewed", cert };
}

function valid(o: Readonly<LoginOptions>, d: LoginDeps, cert: ClientCertInfo): LoginPassResult {
  d.logger.info(
    `Talos certificate for context "${o.contextName}" is still valid until ${cert.notAfter.toISOString()} ` +
      `(renewal due at ${renewalTime(cert).toISOString()}); nothing to do.`,
  );
  return { outcome: "valid", cert };
}

async function exchange(d: LoginDeps, t: LoginTarget, idToken: string) {
  d.logger.info(`Exchanging the ID token with ${t.server.origin}...`);
  const key = await generateClientKey();
  return await exchangeForCertificate(
    { server: t.server, serverCaPem: t.serverCaPem, logger: d.logger },
    idToken,
    key,
    d.signal,
  );
}

/** One login per context at a time (across processes): a second one waits, then finds the fresh certificate. */
async function lockContext(o: Readonly<LoginOptions>, d: LoginDeps) {
  const key = cacheKeyFor(o);
  const bound = d.loginTimeoutMs + 120_000;
  try {
    return await d.tokenCache.lock(key, { timeoutMs: 0, staleMs: bound, signal: d.signal });
  } catch (err) {
    if (!isTalosOidcError(err, "ERR_TIMEOUT")) throw err;
  }
  d.logger.info(`Another login for context "${o.contextName}" is in progress; waiting for it to finish...`);
  try {
    return await d.tokenCache.lock(key, { timeoutMs: bound, staleMs: bound, signal: d.signal });
  } catch (err) {
    if (isTalosOidcError(err, "ERR_TIMEOUT")) {
      throw new TalosOidcError("ERR_TIMEOUT", `waiting for the other login for context "${o.contextName}"`, {
        cause: err,
        hint: err.hint,
      });
    }
    throw err;
  }
}
