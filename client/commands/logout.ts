/** @module `talosctl-oidc logout`: remove the cached tokens and the context (optionally revoking at the IdP first). */

import { type CommandContext, defineCommand, defineSpec, EXIT } from "../../shared/cli.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { type Logger, textLogger } from "../../shared/log.ts";
import { resolveTalosconfigPath } from "../paths.ts";
import { applyNamedProfile } from "../profiles.ts";
import { deleteContext } from "../talosconfig/write.ts";
import { deleteLoginRecord } from "../login/login_record.ts";
import { createTokenCache, type LocalTokenCache } from "../token_cache/token_cache.ts";
import { sameIssuer } from "../token_cache/token.ts";
import { discoverProvider } from "../oidc/discovery.ts";
import { type Fetch, postForm } from "../oidc/http.ts";
import {
  clientIdFlag,
  clientSecretFlag,
  contextNameFlag,
  PROFILE_FLAG,
  providerFlag,
  talosconfigFlag,
  VERBOSE_FLAG,
} from "../flags.ts";

export const logoutSpec = defineSpec({
  name: "logout",
  usage: "talosctl-oidc logout [--profile NAME] [--context-name NAME] [--talosconfig PATH] [--revoke]",
  description: `
Deletes the context's cached tokens (OS keychain and token file) and removes the context from the talosconfig,
keeping every other context and key. If it was the current context, "context:" becomes empty, as talosctl does:
switching to another context silently could aim your next talosctl command at another cluster.
With --revoke the refresh token (and access token) are first revoked at the IdP (RFC 7009), using the issuer and
client id stored with the cached token; if revocation fails nothing is removed, so you can retry.
The issued Talos certificate itself cannot be revoked (Talos has no CRL): it stays valid until it expires.`,
  flags: [
    PROFILE_FLAG,
    contextNameFlag("talosconfig context and token cache entry to remove"),
    talosconfigFlag("talosconfig to update"),
    { name: "revoke", type: "boolean", description: "revoke the refresh token at the IdP first" },
    providerFlag("only revoke if the cached token was issued by this issuer"),
    clientIdFlag("only revoke if the cached token belongs to this client"),
    clientSecretFlag("client secret for confidential clients (revocation request)"),
    VERBOSE_FLAG,
  ],
  examples: ["talosctl-oidc logout", "talosctl-oidc logout --context-name prod --revoke"],
  maxPositionals: 0,
});

export interface LogoutOptions {
  contextName: string;
  talosconfigPath: string;
  revoke: boolean;
  provider?: string;
  clientId?: string;
  clientSecret?: string;
}

export interface LogoutDeps {
  stdio: CommandContext["stdio"];
  logger: Logger;
  tokenCache: Pick<LocalTokenCache, "peek" | "delete" | "describe">;
  fetch?: Fetch;
  signal?: AbortSignal;
}

/** What logout did (also returned for tests and callers). */
export interface LogoutResult {
  revoked: string[];
  tokenRemovedFrom: ("keychain" | "file")[];
  contextRemoved: boolean;
  wasCurrent: boolean;
}

/** Revoke (optional), then remove the cached tokens and the context. Messages go to stderr. */
export async function runLogout(o: LogoutOptions, d: LogoutDeps): Promise<LogoutResult> {
  const say = (line: string) => d.stdio.stderr(line + "\n");
  const result: LogoutResult = { revoked: [], tokenRemovedFrom: [], contextRemoved: false, wasCurrent: false };
  if (o.revoke) result.revoked = await revoke(o, d, say);

  result.tokenRemovedFrom = await d.tokenCache.delete(o.contextName);
  const cache = await d.tokenCache.describe();
  for (const where of result.tokenRemovedFrom) {
    say(
      `Removed the cached token of "${o.contextName}" from ${where === "keychain" ? cache.keychain : cache.filePath}`,
    );
  }

  const removed = await deleteContext(o.talosconfigPath, o.contextName);
  result.contextRemoved = removed.removed;
  result.wasCurrent = removed.wasCurrent;
  if (removed.removed) {
    say(`Removed context "${o.contextName}" from ${o.talosconfigPath}`);
    if (removed.wasCurrent) say(`It was the current context; no context is current now (talosctl config context NAME)`);
  }
  if (result.tokenRemovedFrom.length === 0 && !removed.removed) {
    say(`Nothing to remove: no cached token and no context "${o.contextName}" in ${o.talosconfigPath}`);
  }
  return result;
}

/** RFC 7009 revocation of the cached refresh and access tokens. Returns the token types revoked. */
async function revoke(o: LogoutOptions, d: LogoutDeps, say: (l: string) => void): Promise<string[]> {
  const found = await d.tokenCache.peek(o.contextName);
  if (!found || (!found.token.refresh_token && !found.token.access_token)) {
    say(`No cached token for "${o.contextName}": nothing to revoke`);
    return [];
  }
  const { token } = found;
  if ((o.provider && !sameIssuer(o.provider, token.issuer)) || (o.clientId && o.clientId !== token.client_id)) {
    throw new TalosOidcError(
      "ERR_USAGE",
      `logout: the cached token of "${o.contextName}" is not from that IdP/client`,
      {
        hint:
          `it was issued by "${token.issuer}" to client "${token.client_id}"; drop --provider/--client-id or fix them`,
      },
    );
  }
  const http = { fetch: d.fetch, signal: d.signal };
  const meta = await discoverProvider(token.issuer, http);
  if (!meta.revocation_endpoint) {
    d.logger.warn(
      `"${token.issuer}" advertises no revocation_endpoint; the refresh token stays valid until it expires`,
    );
    return [];
  }
  const revoked: string[] = [];
  // Refresh token first: revoking it usually revokes the access tokens of the same grant too (RFC 7009 §2.1).
  for (const [hint, value] of [["refresh_token", token.refresh_token], ["access_token", token.access_token]] as const) {
    if (!value) continue;
    let res;
    try {
      res = await postForm(meta.revocation_endpoint, {
        token: value,
        token_type_hint: hint,
        client_id: token.client_id,
        client_secret: o.clientSecret,
      }, http);
    } catch (err) {
      throw revokeFailed(token.issuer, err);
    }
    // RFC 7009 §2.2: 200 also for tokens that were already invalid.
    if (res.status !== 200) throw revokeFailed(token.issuer, new Error(`HTTP ${res.status}`));
    revoked.push(hint);
  }
  say(`Revoked the ${revoked.join(" and ").replaceAll("_", " ")} at ${token.issuer}`);
  return revoked;
}

function revokeFailed(issuer: string, cause: unknown): TalosOidcError {
  return new TalosOidcError("ERR_OIDC", `revoking the token at "${issuer}" failed; nothing was removed`, {
    cause,
    hint: "retry, or run logout without --revoke to remove the local tokens and context only",
  });
}

export const logoutCommand = defineCommand(logoutSpec, async (ctx, p) => {
  await applyNamedProfile(p, ctx.env);
  const v = p.values;
  const logger = textLogger({ verbose: v.verbose, write: (l) => ctx.stdio.stderr(l + "\n") });
  await runLogout({
    contextName: v["context-name"],
    talosconfigPath: resolveTalosconfigPath(v.talosconfig, ctx.env),
    revoke: v.revoke,
    provider: v.provider,
    clientId: v["client-id"],
    clientSecret: v["client-secret"],
  }, { stdio: ctx.stdio, logger, tokenCache: createTokenCache({ env: ctx.env, logger }), signal: ctx.signal });
  if (await deleteLoginRecord(v["context-name"], ctx.env)) {
    logger.debug(`removed what the last login for "${v["context-name"]}" recorded (its server)`);
  }
  return EXIT.OK;
});
