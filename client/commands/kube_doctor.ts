/**
 * @module `talosctl-oidc kube doctor` (also `doctor --kubernetes`): get a fresh ID token the way kube token does
 * (cache, else refresh; never a browser) and check it against kube-apiserver's rules for this cluster's setup.
 */

import { type CommandContext, defineCommand, defineSpec, EXIT, parseFlags } from "../../shared/cli.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { formatResults } from "../doctor/report.ts";
import { type CheckResult, fail, ok, skip } from "../doctor/types.ts";
import { contextNameFlag } from "../flags.ts";
import { clusterFiles, parseTalosVersion } from "../kube/cluster_config.ts";
import { checkTokenForKube, type ClusterSide, readApiserverOidc, readClusterSide } from "../kube/doctor_checks.ts";
import { entry, KUBECONFIG, parseKubeconfig, resolveKubeconfigPath } from "../kube/kubeconfig.ts";
import { createLoginDeps } from "../login/deps.ts";
import { SIGN_IN_BROWSER, SIGN_IN_IDP } from "../login/flags.ts";
import { getIdToken } from "../login/cached_id_token.ts";
import { type SignInInput, toSignInInput } from "../login/input.ts";
import { createSignInRun } from "../login/run.ts";
import { applyNamedProfile } from "../profiles.ts";
import { readConfigText } from "../yaml_file.ts";

/** The flags that say how the cluster was set up (the same as kube setup's, with the same defaults). */
const KUBE_CLUSTER_FLAGS = [
  {
    name: "username-claim",
    type: "string",
    default: "email",
    arg: "CLAIM",
    description: "username claim kube-apiserver uses",
  },
  { name: "groups-claim", type: "string", default: "groups", arg: "CLAIM", description: `groups claim ("" for none)` },
  { name: "prefix", type: "string", default: "oidc:", arg: "PREFIX", description: "user and group prefix" },
  {
    name: "talos-version",
    type: "string",
    default: "1.14",
    arg: "VERSION",
    description: "Talos version of the control plane",
  },
  { name: "admin-group", type: "string", arg: "GROUP", description: "IdP group the ClusterRoleBinding names" },
] as const;

const kubeDoctorSpec = defineSpec({
  name: "kube doctor",
  usage: "talosctl-oidc kube doctor --provider URL --client-id ID [--from DIR] [flags]\n" +
    "  talosctl-oidc kube doctor --profile NAME [--from DIR] [flags]",
  description: `
Takes the ID token kube token would hand to kubectl (cached, else refreshed; no browser) and checks it the way
kube-apiserver will: https issuer equal to "iss", the client id in "aud", the username claim (with "email", a false
"email_verified" is refused), the groups claim (often missing when the "groups" scope was not requested), and the
ClusterRoleBinding's group carrying the groups prefix. --from DIR reads what "kube setup --output-dir DIR" wrote;
without it the cluster side is what kube setup would print with the same flags. Prints one line per check and a
"fix:" for each problem; exits 1 when a check fails. The token is not sent anywhere.`,
  flags: [
    ...SIGN_IN_IDP,
    contextNameFlag("the login's context: whose cached token to check"),
    {
      name: "from",
      type: "string",
      arg: "DIR",
      description: "directory kube setup --output-dir wrote (patch and binding)",
    },
    ...KUBE_CLUSTER_FLAGS,
    {
      name: "kubeconfig",
      type: "string",
      arg: "PATH",
      description: "kubeconfig to check (default $KUBECONFIG or ~/.kube/config)",
    },
    // The rest of the sign-in group, so a kube token's flags can be pasted here as they are (none signs in).
    ...SIGN_IN_BROWSER,
  ],
  maxPositionals: 0,
  examples: ["talosctl-oidc kube doctor --profile prod --from ./oidc"],
});

/** The cluster side from --from, else what kube setup would print with these flags. */
async function clusterSideFrom(
  v: { from?: string | undefined } & Record<(typeof KUBE_CLUSTER_FLAGS)[number]["name"], string | undefined>,
  o: { issuer: string; clientId: string },
): Promise<ClusterSide> {
  if (v.from) return await readClusterSide(v.from);
  const settings = { ...o, usernameClaim: v["username-claim"]!, groupsClaim: v["groups-claim"]!, prefix: v.prefix! };
  const [patch] = clusterFiles(settings, parseTalosVersion(v["talos-version"]!));
  return {
    apiserver: readApiserverOidc(patch!.text, patch!.name),
    source: "the kube setup flags",
    ...(v["admin-group"] ? { bindingGroups: [settings.prefix + v["admin-group"]] } : {}),
  };
}

/** Run the kube checks for a sign-in input (kube doctor and doctor --kubernetes). */
async function kubeChecks(
  ctx: CommandContext,
  input: Readonly<SignInInput>,
  side: (issuer: string) => Promise<ClusterSide>,
  kubeconfigPath: string,
): Promise<CheckResult[]> {
  const real = await createLoginDeps(ctx, input);
  const deps = { ...real, logger: { ...real.logger, info: real.logger.debug } };
  const results: CheckResult[] = [await checkKubeconfigUser(kubeconfigPath, input.contextName)];
  let claims: Record<string, unknown>;
  try {
    const run = createSignInRun(input, deps);
    const token = await getIdToken(run, { interactive: false });
    claims = token.claims as unknown as Record<string, unknown>;
    results.push(ok("ID token", `from the ${token.source === "cache" ? "cache" : "refresh token"}, verified`));
  } catch (err) {
    if (!isTalosOidcError(err)) throw err;
    const fix = isTalosOidcError(err, "ERR_UNAUTHORIZED")
      ? "run talosctl-oidc login (same provider, client and context)"
      : err.hint;
    return [...results, fail("ID token", `no token to check: ${err.message}`, fix)];
  }
  const cluster = await side(String(claims.iss));
  return [...results, ...checkTokenForKube(claims, cluster, input.scopes)];
}

/** The kubeconfig user kube setup wrote: there, an exec plugin whose command exists. */
async function checkKubeconfigUser(path: string, name: string): Promise<CheckResult> {
  try {
    const user = entry(parseKubeconfig((await readConfigText(path, KUBECONFIG)).text, path), "users", name);
    const exec = user?.exec as { command?: string } | undefined;
    if (!exec?.command) {
      return fail("kubeconfig", `"${path}" has no exec user "${name}"`, "run talosctl-oidc kube setup");
    }
    const found = await Deno.stat(exec.command).then((s) => s.isFile, () => false);
    return found ? ok("kubeconfig", `user "${name}" runs ${exec.command}`) : fail(
      "kubeconfig",
      `user "${name}" runs "${exec.command}", which does not exist`,
      "run talosctl-oidc kube setup again (it writes this program's path)",
    );
  } catch (err) {
    return fail(
      "kubeconfig",
      err instanceof Error ? err.message : String(err),
      isTalosOidcError(err) ? err.hint : undefined,
    );
  }
}

export const kubeDoctorCommand = defineCommand(kubeDoctorSpec, async (ctx, args) => {
  await applyNamedProfile(args, ctx.env);
  const input = toSignInInput(args, "kube doctor");
  const v = args.values;
  const results = await kubeChecks(
    ctx,
    input,
    (issuer) => clusterSideFrom(v, { issuer, clientId: input.clientId }),
    resolveKubeconfigPath(v.kubeconfig, ctx.env),
  );
  ctx.stdio.stdout(formatResults(results));
  return results.some((r) => r.verdict === "fail") ? EXIT.FAILURE : EXIT.OK;
});

/**
 * `doctor --kubernetes`: the kube checks with what doctor knows (its --profile, or --provider, --client-id and
 * --context) and kube setup's defaults for the cluster side, or `from` (kube setup --output-dir). Names are
 * prefixed "k8s" in doctor's report.
 */
export async function doctorKubernetes(
  ctx: CommandContext,
  o: { profile?: string; provider?: string; clientId?: string; contextName?: string; from?: string },
): Promise<CheckResult[]> {
  const argv = [
    ...(o.profile ? ["--profile", o.profile] : []),
    ...(o.provider ? ["--provider", o.provider] : []),
    ...(o.clientId ? ["--client-id", o.clientId] : []),
    ...(o.contextName ? ["--context-name", o.contextName] : []),
    ...(o.from ? ["--from", o.from] : []),
  ];
  const args = parseFlags(kubeDoctorSpec, argv, ctx.env);
  await applyNamedProfile(args, ctx.env);
  if (!args.values.provider || !args.values["client-id"]) {
    return [skip("k8s", "needs --profile, or --provider and --client-id, to get the ID token")];
  }
  const input = toSignInInput(args, "doctor");
  const v = args.values;
  const results = await kubeChecks(
    ctx,
    input,
    (issuer) => clusterSideFrom(v, { issuer, clientId: input.clientId }),
    resolveKubeconfigPath(undefined, ctx.env),
  );
  return results.map((r) => ({ ...r, name: `k8s ${r.name}` }));
}
