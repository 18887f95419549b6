/**
 * @module The demo's kubectl part: a kube-apiserver stand-in (real TLS, kube-apiserver's OIDC rules), a kubeconfig
 * with its cluster as `talosctl kubeconfig` would leave it, `kube setup` run on it for real, and the Talos patch it
 * printed applied to the stand-in. After the demo's one login, `kubectl auth whoami` works through `kube token`.
 */

import { join } from "node:path";
import { type CommandContext, runCommand } from "../shared/cli.ts";
import { createKubeSetupCommand } from "../client/commands/kube_setup.ts";
import { type KubeApiserver, startKubeApiserver } from "../tests/helpers/kube_apiserver.ts";
import { DEMO_CONTEXT, DEMO_SCOPES } from "./constants.ts";
import type { DemoStack } from "./stack.ts";

export interface DemoKube extends AsyncDisposable {
  api: KubeApiserver;
  kubeconfig: string;
  /** What kube setup wrote for the cluster admin (the Talos patch and the ClusterRoleBinding). */
  clusterDir: string;
  /** The kubectl command line to print and run. */
  whoami: string[];
}

/** Start the stand-in and set kubectl up against it with `kube setup`, all under the demo's directory. */
export async function startDemoKube(s: DemoStack, ctx: CommandContext): Promise<DemoKube> {
  const api = await startKubeApiserver({ allowHttpIssuer: true }); // the demo IdP is http on loopback
  try {
    const kubeconfig = join(s.paths.dir, "kubeconfig"), clusterDir = join(s.paths.dir, "cluster");
    await Deno.writeTextFile(
      kubeconfig,
      `# the demo cluster, as "talosctl kubeconfig" would add it\napiVersion: v1\nkind: Config\nclusters:\n${
        api.clusterEntry("demo")
      }contexts: []\nusers: []\n`,
      { mode: 0o600 },
    );
    const quiet: CommandContext = { ...ctx, stdio: { ...ctx.stdio, stdout: () => {}, stderr: () => {} } };
    const setup = await runCommand(createKubeSetupCommand(), {
      ...quiet,
      args: [
        ...["--provider", s.idp.issuer, "--client-id", s.idp.clientId, "--scopes", DEMO_SCOPES],
        ...["--context-name", DEMO_CONTEXT, "--kubeconfig", kubeconfig, "--cluster", "demo"],
        ...["--admin-group", "talos-admins", "--output-dir", clusterDir],
      ],
    });
    if (setup !== 0) throw new Error(`kube setup exited ${setup} for the demo`);
    await api.applyTalosDocument(await Deno.readTextFile(join(clusterDir, "talos-kube-oidc-patch.yaml")));
    return {
      api,
      kubeconfig,
      clusterDir,
      whoami: ["kubectl", "--kubeconfig", kubeconfig, "auth", "whoami"],
      [Symbol.asyncDispose]: () => api[Symbol.asyncDispose](),
    };
  } catch (err) {
    await api[Symbol.asyncDispose]();
    throw err;
  }
}

/** Run the printed kubectl command with `env` (headless demo); its output, or why it could not run. */
export async function runDemoKubectl(k: DemoKube, env: Record<string, string | undefined>): Promise<string> {
  let out;
  try {
    out = await new Deno.Command(k.whoami[0]!, {
      args: k.whoami.slice(1),
      env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "kubectl is not installed: skipped kubectl auth whoami\n";
    throw err;
  }
  const dec = new TextDecoder();
  return `$ kubectl auth whoami\n${dec.decode(out.stdout)}${dec.decode(out.stderr)}`;
}
