/** @module Doctor checks on this machine: the login callback port, the OS keychain, and the cached token. */

import { nullLogger } from "../../shared/log.ts";
import { createTokenCache, type LocalTokenCache } from "../token_cache/token_cache.ts";
import { jwtExpiry } from "../../shared/jwt_payload.ts";
import { type CheckResult, type DoctorInputs, humanDuration, ok, skip, warn } from "./types.ts";

/** Bind 127.0.0.1:<port> for a moment: login's browser redirect lands there. */
export function checkCallbackPort(inputs: DoctorInputs): Promise<CheckResult> {
  const port = inputs.callbackPort;
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return Promise.resolve(ok("callback port", `127.0.0.1:${port} is free for the login redirect`));
  } catch (err) {
    const why = err instanceof Deno.errors.AddrInUse
      ? "is in use by another program"
      : `cannot be bound (${(err as Error).message})`;
    return Promise.resolve(warn(
      "callback port",
      `127.0.0.1:${port} ${why}`,
      `stop that program, or log in with --callback-port N (register http://127.0.0.1:N/callback), or --device-code`,
    ));
  }
}

/** Is the OS keychain usable? Without it refresh tokens go to a 0600 file. */
export async function checkKeychain(inputs: DoctorInputs, cache = tokenCache(inputs)): Promise<CheckResult> {
  const d = await cache.describe();
  if (d.backend === "keychain") return ok("keychain", `${d.keychain} is available`);
  if (d.keychain === null) {
    return skip("keychain", `no OS keychain here; tokens are kept in "${d.filePath}" (0600)`);
  }
  return warn(
    "keychain",
    `${d.keychain} is not usable (${d.keychainProblem}); tokens fall back to "${d.filePath}" (0600)`,
    Deno.build.os === "linux"
      ? "run inside a D-Bus session with a Secret Service (e.g. gnome-keyring-daemon --start --components=secrets)"
      : "unlock the keychain",
  );
}

/** The cached ID token and refresh token for this context, provider and client. Never prints a token. */
export async function checkCachedToken(inputs: DoctorInputs, cache = tokenCache(inputs)): Promise<CheckResult> {
  if (!inputs.provider || !inputs.clientId || !inputs.contextName) {
    return skip("cached token", "provider, client id or context unknown (use --profile NAME)");
  }
  const token = await cache.get({ context: inputs.contextName, issuer: inputs.provider, clientId: inputs.clientId });
  if (!token) {
    return warn("cached token", `no cached token for context "${inputs.contextName}"`, `run: ${inputs.loginHint}`);
  }
  const now = inputs.clock.now().getTime();
  const exp = jwtExpiry(token.id_token);
  const refresh = token.refresh_token ? "a refresh token is cached" : "no refresh token";
  if (exp && exp.getTime() > now) {
    return ok("cached token", `ID token valid for ${humanDuration(exp.getTime() - now)} more; ${refresh}`);
  }
  if (token.refresh_token) {
    return ok("cached token", "ID token expired; a refresh token is cached (login renews quietly)");
  }
  return warn(
    "cached token",
    `ID token ${exp ? `expired ${humanDuration(now - exp.getTime())} ago` : "missing"}; ${refresh}`,
    `the next login opens the browser; ask for the offline_access scope to get refresh tokens`,
  );
}

function tokenCache(inputs: DoctorInputs): LocalTokenCache {
  return createTokenCache({ env: inputs.env, logger: nullLogger });
}
