/** @module `talosctl-oidc status`: the context, its certificate (subject, roles, expiry) and the cached token; offline. */

import { type CommandContext, defineCommand, defineSpec, EXIT, OUTPUT_FLAG, outputFormat } from "../../shared/cli.ts";
import { type Clock, systemClock } from "../../shared/clock.ts";
import { formatDuration } from "../../shared/duration.ts";
import { isTalosOidcError, TalosOidcError } from "../../shared/errors.ts";
import { fetchFailureReason } from "../../shared/fetch_reason.ts";
import { type Logger, textLogger } from "../../shared/log.ts";
import { expandHome, resolveTalosconfigPath } from "../paths.ts";
import { readLoginRecord } from "../login/login_record.ts";
import { applyNamedProfile } from "../profiles.ts";
import { readContextCert } from "../talosconfig/cert.ts";
import { currentContext, getContext, readTalosconfig } from "../talosconfig/read.ts";
import { createTokenCache, type LocalTokenCache } from "../token_cache/token_cache.ts";
import { jwtExpiry } from "../../shared/jwt_payload.ts";
import { isTokenExpired, tokenExpiry } from "../token_cache/token.ts";
import { contextNameFlag, PROFILE_FLAG, serverCaFlag, serverFlag, talosconfigFlag, VERBOSE_FLAG } from "../flags.ts";

export const statusSpec = defineSpec({
  name: "status",
  usage: "talosctl-oidc status [--profile NAME] [--context-name NAME] [--talosconfig PATH] [-o text|json] [--check]",
  description: `
Reads the talosconfig and the token cache only; nothing goes over the network unless --check is given, which then
asks the exchange server's /healthz: --server, else the profile's, else the one the last login for the context used
(and its --server-ca). -v prints which talosconfig, context and URL it used. Exit 0 when the report was printed,
1 when the talosconfig or the token cache cannot be read (or --check failed), 2 for bad flags.

--output json prints one object with stable snake_case fields: context, talosconfig {path, exists},
context_exists, current, current_context, endpoints, nodes, certificate {subject, common_name, roles, not_before,
not_after, expired, seconds_left} | null, token {issuer, client_id, expires_at, expired, id_token_expires_at,
refresh_token, store} | null, token_cache {backend, keychain, keychain_problem, file} and, with --check,
server {url, healthy, status, error}.`,
  flags: [
    PROFILE_FLAG,
    {
      ...contextNameFlag("talosconfig context and token cache entry to show"),
      default: undefined,
      description: "talosconfig context and token cache entry to show (default: the profile's, else the " +
        "talosconfig's current context, else oidc)",
    },
    talosconfigFlag("talosconfig to read"),
    OUTPUT_FLAG,
    { name: "check", type: "boolean", description: "also probe the exchange server's /healthz" },
    serverFlag("exchange server (--check)"),
    serverCaFlag("PEM CA trusted (only) for the server (--check)"),
    VERBOSE_FLAG,
  ],
  examples: ["talosctl-oidc status", "talosctl-oidc status --context-name prod -o json | jq .certificate.not_after"],
  maxPositionals: 0,
});

/** What `status --output json` prints. Field names are a stable interface for scripts. */
interface StatusReport {
  context: string;
  talosconfig: { path: string; exists: boolean };
  context_exists: boolean;
  current: boolean;
  current_context: string;
  endpoints: string[];
  nodes: string[];
  certificate: null | {
    subject: string;
    common_name: string | null;
    roles: string[];
    not_before: string;
    not_after: string;
    expired: boolean;
    seconds_left: number;
  };
  token: null | {
    issuer: string;
    client_id: string;
    expires_at: string | null;
    expired: boolean;
    id_token_expires_at: string | null;
    refresh_token: boolean;
    store: "keychain" | "file";
  };
  token_cache: { backend: "keychain" | "file"; keychain: string | null; keychain_problem: string | null; file: string };
  /** Present with --check only. */
  server?: { url: string; healthy: boolean; status: number | null; error: string | null };
}

interface StatusOptions {
  /** Undefined: the talosconfig's current context (as doctor picks it), else `oidc`. */
  contextName: string | undefined;
  talosconfigPath: string;
  output: "text" | "json";
  check?: { server: string; serverCaPem?: string };
}

interface StatusDeps {
  stdio: CommandContext["stdio"];
  clock: Clock;
  tokenCache: Pick<LocalTokenCache, "peek" | "describe">;
  /** Debug lines (-v). */
  logger?: Logger;
  /** Only used with --check. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/**
 * Collect the report. A broken talosconfig throws (ERR_TALOSCONFIG naming the path); a token cache that cannot be
 * read throws ERR_TOKEN_CACHE.
 */
async function gatherStatus(o: StatusOptions, d: StatusDeps): Promise<StatusReport> {
  const now = d.clock.now();
  const tc = await readTalosconfig(o.talosconfigPath);
  const name = o.contextName ?? (currentContext(tc.doc) || "oidc");
  if (!o.contextName) d.logger?.debug(`context "${name}" (${currentContext(tc.doc) ? "the current one" : "default"})`);
  const ctx = getContext(tc.doc, name);
  const cert = readContextCert(tc.doc, name);
  const cache = await d.tokenCache.describe();
  const found = await d.tokenCache.peek(name);
  const report: StatusReport = {
    context: name,
    talosconfig: { path: o.talosconfigPath, exists: tc.exists },
    context_exists: ctx !== null,
    current: currentContext(tc.doc) === name,
    current_context: currentContext(tc.doc),
    endpoints: ctx?.endpoints ?? [],
    nodes: ctx?.nodes ?? [],
    certificate: cert && {
      subject: cert.subject,
      common_name: cert.commonName ?? null,
      roles: cert.roles,
      not_before: cert.notBefore.toISOString(),
      not_after: cert.notAfter.toISOString(),
      expired: cert.notAfter.getTime() <= now.getTime(),
      seconds_left: Math.max(0, Math.floor((cert.notAfter.getTime() - now.getTime()) / 1000)),
    },
    token: found && {
      issuer: found.token.issuer,
      client_id: found.token.client_id,
      expires_at: tokenExpiry(found.token)?.toISOString() ?? null,
      expired: isTokenExpired(found.token, now),
      id_token_expires_at: jwtExpiry(found.token.id_token)?.toISOString() ?? null,
      refresh_token: Boolean(found.token.refresh_token),
      store: found.backend,
    },
    token_cache: {
      backend: cache.backend,
      keychain: cache.keychain,
      keychain_problem: cache.keychainProblem ?? null,
      file: cache.filePath,
    },
  };
  if (o.check) report.server = await checkServer(o.check.server, o.check.serverCaPem, d);
  return report;
}

/** The human layout (stderr is for people, but this report is the command's data: it goes to stdout). */
function formatStatusText(r: StatusReport, now: Date): string {
  const row = (k: string, v: string) => `${(k + ":").padEnd(13)}${v}`;
  const out = [row("Context", r.context), row("Talosconfig", r.talosconfig.path), "", "--- Talosconfig ---"];
  if (!r.talosconfig.exists) out.push(row("Status", "file does not exist"));
  else if (!r.context_exists) out.push(row("Status", `context "${r.context}" not found`));
  else {
    out.push(row("Status", `context "${r.context}" exists`));
    out.push(row("Active", r.current ? "yes (current context)" : `no (current context is "${r.current_context}")`));
    out.push(row("Endpoints", r.endpoints.join(", ") || "(none)"), row("Nodes", r.nodes.join(", ") || "(none)"));
    const c = r.certificate;
    if (!c) out.push(row("Certificate", "missing"));
    else {
      out.push(row("Certificate", c.subject || "(empty subject)"));
      out.push(row("Roles", c.roles.join(", ") || "(none: every Talos API call will be denied)"));
      const left = c.expired
        ? "expired"
        : new Date(c.not_before) > now
        ? "not yet valid (check this machine's clock)"
        : `valid, ${formatDuration(c.seconds_left * 1000)} left`;
      out.push(row("Not after", `${c.not_after} (${left})`));
    }
  }
  out.push("", "--- OIDC token ---");
  const cache = r.token_cache;
  out.push(row("Store", cache.backend === "keychain" ? `keychain: ${cache.keychain}` : `file: ${cache.file}`));
  if (cache.keychain_problem) out.push(row("Keychain", `not used (${cache.keychain_problem})`));
  const t = r.token;
  if (!t) out.push(row("Token", "no cached token"));
  else {
    out.push(row("Issuer", t.issuer), row("Client ID", t.client_id));
    const exp = t.expires_at ? new Date(t.expires_at) : null;
    out.push(row(
      "Status",
      !exp
        ? "no expiry recorded"
        : t.expired
        ? `expired (at ${t.expires_at})`
        : `valid (expires in ${formatDuration(exp.getTime() - now.getTime())})`,
    ));
    if (t.id_token_expires_at) out.push(row("ID token", `expires at ${t.id_token_expires_at}`));
    out.push(row("Refresh", t.refresh_token ? "available" : "not available"));
  }
  if (r.server) {
    const s = r.server;
    out.push("", "--- Server ---", row("URL", s.url));
    out.push(row("Health", s.healthy ? `ok (HTTP ${s.status})` : `FAILED (${s.error ?? `HTTP ${s.status}`})`));
  }
  return out.join("\n") + "\n";
}

/** Print the report; exit 1 only when --check found the server unhealthy. */
async function runStatus(o: StatusOptions, d: StatusDeps): Promise<number> {
  const report = await gatherStatus(o, d);
  d.stdio.stdout(
    o.output === "json" ? JSON.stringify(report, null, 2) + "\n" : formatStatusText(report, d.clock.now()),
  );
  return report.server && !report.server.healthy ? EXIT.FAILURE : EXIT.OK;
}

async function checkServer(
  server: string,
  caPem: string | undefined,
  d: StatusDeps,
): Promise<NonNullable<StatusReport["server"]>> {
  const url = new URL("healthz", server.endsWith("/") ? server : server + "/").href;
  d.logger?.debug(`GET ${url}${caPem ? " (with the --server-ca file)" : ""}`);
  // --server-ca trusts that CA only (Deno's createHttpClient({caCerts}) would add it to the default roots); loaded
  // on demand: pinned_fetch brings node:https, which the plain check does not need.
  const pinned = caPem && url.startsWith("https:")
    ? (await import("../pinned_fetch.ts")).pinnedFetch(caPem)
    : undefined;
  const signal = AbortSignal.any([AbortSignal.timeout(5_000), ...(d.signal ? [d.signal] : [])]);
  try {
    const res = pinned ? await pinned(new URL(url), { signal }) : await (d.fetch ?? fetch)(url, { signal });
    await res.body?.cancel();
    return { url: server, healthy: res.ok, status: res.status, error: res.ok ? null : `HTTP ${res.status}` };
  } catch (err) {
    return { url: server, healthy: false, status: null, error: fetchFailureReason(err) };
  }
}

export const statusCommand = defineCommand(statusSpec, async (ctx, p) => {
  await applyNamedProfile(p, ctx.env);
  const v = p.values;
  const output = outputFormat(v.output, "status");
  const logger = textLogger({ verbose: v.verbose, write: (l) => ctx.stdio.stderr(l + "\n") });
  const talosconfigPath = resolveTalosconfigPath(v.talosconfig, ctx.env);
  logger.debug(`talosconfig "${talosconfigPath}"${v.talosconfig ? "" : " (the default path)"}`);
  let check: StatusOptions["check"];
  if (v.check) {
    const context = v["context-name"] ?? await currentOf(talosconfigPath);
    // Right after "login --server URL": the server (and CA) that login talked to for this context.
    const recorded = v.server ? undefined : await readLoginRecord(context, ctx.env);
    const server = v.server ?? recorded?.server;
    if (!server) {
      throw new TalosOidcError("ERR_USAGE", `status: --check needs --server (or TALOSCTL_OIDC_SERVER)`, {
        hint: `no login for context "${context}" recorded its server: pass --server, or use --profile`,
      });
    }
    const caPath = v["server-ca"] ?? recorded?.server_ca;
    if (recorded) logger.debug(`--check: server ${server} (recorded by the last login for "${context}")`);
    check = { server, serverCaPem: caPath ? await readCa(expandHome(caPath, ctx.env)) : undefined };
  }
  return await runStatus({
    contextName: v["context-name"],
    talosconfigPath,
    output,
    check,
  }, {
    stdio: ctx.stdio,
    clock: systemClock,
    tokenCache: createTokenCache({ env: ctx.env, logger }),
    logger,
    signal: ctx.signal,
  });
});

/** The talosconfig's current context, else oidc (as gatherStatus picks it); a broken file is gatherStatus's error. */
async function currentOf(path: string): Promise<string> {
  return await readTalosconfig(path).then((tc) => currentContext(tc.doc) || "oidc", () => "oidc");
}

async function readCa(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (isTalosOidcError(err)) throw err;
    throw new TalosOidcError("ERR_CONFIG", `reading --server-ca "${path}"`, { cause: err });
  }
}
