/**
 * @module `talosctl-oidc kube setup`: a kubeconfig user that runs `kube token` with the sign-in flags given here
 * (a saved profile fills the gaps, as for login) and a context binding it to an existing cluster; then the Talos
 * patch and ClusterRoleBinding the cluster needs, printed on stdout or written with --output-dir.
 */

import { type CommandContext, defineCommand, defineSpec, EXIT, usageError } from "../../shared/cli.ts";
import { contextNameFlag } from "../flags.ts";
import { parseTalosVersion } from "../kube/cluster_config.ts";
import { execConfig, type GivenFlags, selfCommand } from "../kube/exec_user.ts";
import { resolveKubeconfigPath } from "../kube/kubeconfig.ts";
import { type KubeSetupResult, runKubeSetup } from "../kube/setup.ts";
import { SIGN_IN, SIGN_IN_BROWSER, SIGN_IN_IDP } from "../login/flags.ts";
import { toSignInInput } from "../login/input.ts";
import { textLogger } from "../../shared/log.ts";
import { applyNamedProfile } from "../profiles.ts";

const kubeSetupSpec = defineSpec({
  name: "kube setup",
  usage: "talosctl-oidc kube setup --provider URL --client-id ID [--cluster NAME] [--admin-group GROUP] [flags]\n" +
    "  talosctl-oidc kube setup --profile NAME [flags]",
  description: `
Writes into your kubeconfig a user NAME (--context-name) whose credentials come from "talosctl-oidc kube token"
(an exec plugin: apiVersion client.authentication.k8s.io/v1, interactiveMode IfAvailable, this program's absolute
path) and a context NAME that binds it to an existing cluster entry, and makes it current (--no-switch keeps the
current one). Every other entry, comment and unknown key is kept; the file is locked, written 0600 atomically,
and a broken file is refused untouched. Running it again changes nothing.
Use the same provider, client and --context-name as "talosctl-oidc login" (or the same --profile): then one
sign-in serves talosctl and kubectl.
Then it prints what the cluster needs (or writes it with --output-dir): the Talos machine-config patch for
kube-apiserver (Talos <= 1.13: cluster.apiServer.extraArgs; 1.14+: a KubeAuthenticationConfig document), and,
with --admin-group, a ClusterRoleBinding making that IdP group cluster-admin. See docs/kubernetes.md.`,
  flags: [
    ...SIGN_IN_IDP,
    contextNameFlag("kubeconfig user and context to write; also the login context whose token kubectl uses"),
    {
      name: "kubeconfig",
      type: "string",
      arg: "PATH",
      description: "kubeconfig to edit (default $KUBECONFIG or ~/.kube/config)",
    },
    {
      name: "cluster",
      type: "string",
      arg: "NAME",
      description: "existing kubeconfig cluster to bind (default: the current context's)",
    },
    {
      name: "username-claim",
      type: "string",
      default: "email",
      arg: "CLAIM",
      description: "ID token claim kube-apiserver takes as the user name",
    },
    {
      name: "groups-claim",
      type: "string",
      default: "groups",
      arg: "CLAIM",
      description: `ID token claim with the groups ("" for none)`,
    },
    {
      name: "prefix",
      type: "string",
      default: "oidc:",
      arg: "PREFIX",
      description: `put in front of user and group names ("" for none)`,
    },
    {
      name: "talos-version",
      type: "string",
      default: "1.14",
      arg: "VERSION",
      description: "Talos version of the control plane: <= 1.13 gets extraArgs, 1.14+ a KubeAuthenticationConfig",
    },
    {
      name: "admin-group",
      type: "string",
      arg: "GROUP",
      description: "IdP group to make cluster-admin (ClusterRoleBinding)",
    },
    {
      name: "output-dir",
      type: "string",
      arg: "DIR",
      description: "write the cluster files there instead of printing them",
    },
    {
      name: "switch",
      type: "boolean",
      default: true,
      description: "make the context current (--no-switch: keep the current one)",
    },
    ...SIGN_IN_BROWSER,
  ],
  maxPositionals: 0,
  examples: [
    "talosctl-oidc kube setup --profile prod --cluster homelab --admin-group kubernetes-admins --output-dir ./oidc",
    "talosctl-oidc kube setup --provider https://id.example.com --client-id talosctl --scopes openid,email,groups,offline_access",
    "talosctl patch mc --nodes 10.0.0.10 --patch @oidc/talos-kube-oidc-patch.yaml && kubectl apply -f oidc/kube-oidc-admin-binding.yaml",
  ],
});

const SIGN_IN_NAMES = new Set<string>(Object.values(SIGN_IN).map((f) => f.name));

/** Build the command; tests inject the plugin command (a test process is not main.ts). */
export function createKubeSetupCommand(o: { self?: { command: string; args: string[] } } = {}) {
  return defineCommand(kubeSetupSpec, async (ctx, args) => {
    const v = args.values;
    const given: Record<string, GivenFlags[string]> = {};
    for (const name of args.explicit) {
      if (SIGN_IN_NAMES.has(name)) given[name] = (v as Record<string, GivenFlags[string]>)[name]!;
    }
    const profile = await applyNamedProfile(args, ctx.env); // flag > env > profile > default
    const input = toSignInInput(args, "kube setup");
    // Without a profile the plugin's argv names provider, client and context itself: kubectl's environment must not
    // re-point it (a TALOSCTL_OIDC_* variable there would otherwise win).
    if (!profile) {
      Object.assign(given, { provider: input.provider, "client-id": input.clientId });
      given["context-name"] ??= input.contextName;
    }
    const logger = textLogger({ verbose: v.verbose, write: (l) => ctx.stdio.stderr(l + "\n") });
    const result = await runKubeSetup({
      provider: input.provider,
      insecureProvider: input.insecureProvider,
      clientId: input.clientId,
      contextName: input.contextName,
      kubeconfig: resolveKubeconfigPath(v.kubeconfig, ctx.env),
      ...(v.cluster ? { cluster: v.cluster } : {}),
      oidc: {
        usernameClaim: claim(v["username-claim"], "username-claim"),
        groupsClaim: v["groups-claim"],
        prefix: v.prefix,
      },
      talosVersion: parseTalosVersion(v["talos-version"]),
      ...(v["admin-group"] ? { adminGroup: v["admin-group"] } : {}),
      ...(v["output-dir"] ? { outputDir: v["output-dir"] } : {}),
      makeCurrent: v.switch,
      exec: execConfig({
        self: o.self ?? selfCommand(),
        ...(profile ? { profile: profile.name } : {}),
        given,
        ...("client-secret" in given && input.clientSecret ? { clientSecret: input.clientSecret } : {}),
      }),
    }, { logger, signal: ctx.signal });
    report(ctx, result, { context: input.contextName, scopes: input.scopes, groupsClaim: v["groups-claim"] });
    return EXIT.OK;
  });
}

/** `kube setup` as main.ts runs it. */
export const kubeSetupCommand = createKubeSetupCommand();

function claim(value: string, flag: string): string {
  if (value.trim() === "") throw usageError("kube setup", `--${flag} must not be empty`);
  return value;
}

function report(
  ctx: CommandContext,
  r: KubeSetupResult,
  { context, scopes, groupsClaim }: { context: string; scopes: string[]; groupsClaim: string },
): void {
  const err = ctx.stdio.stderr;
  err(
    r.kubeconfig.changed
      ? `Kubeconfig "${r.kubeconfig.path}" updated: exec user and context bound to cluster "${r.cluster}".\n`
      : `Kubeconfig "${r.kubeconfig.path}" already set up (unchanged).\n`,
  );
  if (!r.issuer.startsWith("https://")) {
    err(`warning: kube-apiserver accepts only an https:// issuer; "${r.issuer}" will be refused\n`);
  }
  if (groupsClaim === "groups" && !scopes.includes("groups")) {
    err(
      `note: many IdPs (Pocket ID, Dex) put "groups" in the ID token only for the "groups" scope: add it to\n` +
        `      --scopes here and for login if "talosctl-oidc kube doctor" says the groups claim is missing\n`,
    );
  }
  if (r.written.length > 0) {
    err(`Cluster files written:\n${r.files.map((f, i) => `  ${r.written[i]}   apply: ${f.apply}\n`).join("")}`);
  } else {
    ctx.stdio.stdout(r.files.map((f) => `# ${f.name}: apply with: ${f.apply}\n${f.text}`).join("---\n"));
    err("The cluster side is on stdout (one YAML per file; --output-dir writes them as files).\n");
  }
  err(`Then: kubectl --context ${context} auth whoami   (kubectl runs talosctl-oidc kube token)\n`);
}
