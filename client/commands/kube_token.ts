/**
 * @module `talosctl-oidc kube token`: the kubectl exec credential plugin. The same sign-in as `login` (flags, env,
 * --profile, token cache, lock, refresh order, browser-tab budget) through getIdToken; stdout holds only the
 * ExecCredential. kubectl runs it for every command, so a cached token is answered without the network and without
 * the rest of the sign-in's adapters (spinner, browser, lock); those and the heavy parts (profiles, refresh, browser
 * sign-in) load only when the cache does not answer.
 */

import { type CommandContext, defineCommand, defineSpec, EXIT } from "../../shared/cli.ts";
import { systemClock } from "../../shared/clock.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { type Logger, textLogger } from "../../shared/log.ts";
import { contextNameFlag } from "../flags.ts";
import { formatExecCredential, readExecRequest } from "../kube/exec_credential.ts";
import { SIGN_IN_BROWSER, SIGN_IN_IDP } from "../login/flags.ts";
import { cachedIdTokenWithoutLock } from "../login/cached_id_token.ts";
import type { IdToken, IdTokenOptions } from "../login/id_token.ts";
import { type SignInInput, toSignInInput } from "../login/input.ts";
import { createTokenCache } from "../token_cache/token_cache.ts";

const kubeTokenSpec = defineSpec({
  name: "kube token",
  usage: "talosctl-oidc kube token --provider URL --client-id ID [--context-name NAME] [flags]\n" +
    "  talosctl-oidc kube token --profile NAME [flags]",
  description: `
A kubectl exec credential plugin: "talosctl-oidc kube setup" writes it into your kubeconfig. It prints the ID token
as an ExecCredential (the apiVersion kubectl asks for in KUBERNETES_EXEC_INFO; v1beta1 without it) and nothing else
on stdout. It uses the token "talosctl-oidc login" cached for the same provider, client and --context-name: a
cached token still valid is answered without contacting the IdP; an expired one is refreshed with the refresh
token, without a browser. Only when kubectl says the session is interactive (a terminal) does it open a browser or
the device flow; otherwise it fails at once and says to run "talosctl-oidc login".`,
  flags: [
    ...SIGN_IN_IDP,
    contextNameFlag("the login's context: whose cached token to use"),
    ...SIGN_IN_BROWSER,
  ],
  maxPositionals: 0,
  examples: [
    "talosctl-oidc kube setup --provider https://id.example.com --client-id talosctl   # writes the kubeconfig user",
    'KUBERNETES_EXEC_INFO=\'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",' +
    '"spec":{"interactive":false}}\' talosctl-oidc kube token --provider https://id.example.com --client-id talosctl',
  ],
});

/** `kube token` as main.ts runs it. */
export const kubeTokenCommand = defineCommand(kubeTokenSpec, async (ctx, args) => {
  const request = readExecRequest(ctx.env.KUBERNETES_EXEC_INFO);
  if (args.values.profile) await (await import("../profiles.ts")).applyNamedProfile(args, ctx.env);
  const input = toSignInInput(args, "kube token");
  const options: IdTokenOptions = { interactive: request.interactive, trustCachedIdToken: true };
  try {
    const token = await cachedIdToken(ctx, input, options) ?? await signIn(ctx, input, options);
    ctx.stdio.stdout(formatExecCredential(request.apiVersion, token.idToken, new Date(token.claims.exp * 1000)));
    return EXIT.OK;
  } catch (err) {
    if (!isTalosOidcError(err, "ERR_UNAUTHORIZED") || request.interactive) throw err;
    ctx.stdio.stderr(
      `talosctl-oidc: no valid token for context "${input.contextName}": run "talosctl-oidc login${
        args.values.profile ? ` --profile ${args.values.profile}` : ""
      }" (same provider, client and context) in a terminal, then try again\n`,
    );
    return EXIT.FAILURE;
  }
});

/** kubectl shows the plugin's stderr on every command: progress lines only with -v; warnings always. */
function quiet(logger: Logger): Logger {
  return { ...logger, info: logger.debug };
}

/**
 * The cached ID token when it can be handed out as it is (cachedIdTokenWithoutLock), with only the adapters that
 * takes: kubectl runs kube token for every command, and most runs end here. Nothing is written yet, so stderr needs
 * no spinner-aware wrapper.
 */
function cachedIdToken(ctx: CommandContext, input: Readonly<SignInInput>, options: IdTokenOptions) {
  // createLoginDeps refuses a bad TALOSCTL_OIDC_BROWSER_HINT_AFTER on every run, as it always did: it goes that way.
  if (ctx.env.TALOSCTL_OIDC_BROWSER_HINT_AFTER) return Promise.resolve(undefined);
  const logger = textLogger({ verbose: input.verbose, write: (line) => ctx.stdio.stderr(line + "\n") });
  const tokenCache = createTokenCache({ env: ctx.env, logger });
  return cachedIdTokenWithoutLock({ input, deps: { tokenCache, clock: systemClock, logger: quiet(logger) } }, options);
}

/** Past the cache: the whole sign-in (lock, refresh, browser or device flow when kubectl says interactive). */
async function signIn(ctx: CommandContext, input: Readonly<SignInInput>, options: IdTokenOptions): Promise<IdToken> {
  const [{ createLoginDeps }, { createSignInRun }, { lockedIdToken }] = await Promise.all([
    import("../login/deps.ts"),
    import("../login/run.ts"),
    import("../login/id_token.ts"),
  ]);
  const real = await createLoginDeps(ctx, input);
  return await lockedIdToken(createSignInRun(input, { ...real, logger: quiet(real.logger) }), options);
}
