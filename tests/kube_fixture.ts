/**
 * @module Shared setup for the kubectl end-to-end tests: the login world (real IdP, exchange server, temp HOME),
 * a kube-apiserver stand-in over TLS, a kubeconfig a user already has, and kubectl run the way a user runs it.
 */

import { join } from "node:path";
import { cliEnv, type CliResult, runCli } from "./helpers/cli.ts";
import type { IdpUser, TestIdpOptions } from "./helpers/idp.ts";
import { type KubeApiserver, startKubeApiserver } from "./helpers/kube_apiserver.ts";
import { kubectl, type KubectlResult, requireKubectl } from "./helpers/kubectl.ts";
import { type LoginWorld, startLoginWorld } from "./login_e2e_fixture.ts";

export const SCOPES = "openid,email,profile,groups,offline_access";

/** A kubeconfig as `talosctl kubeconfig` leaves it, with a comment and a key we do not know. */
export function existingKubeconfig(api: KubeApiserver): string {
  return `# from talosctl kubeconfig: keep this comment
apiVersion: v1
clusters:
${api.clusterEntry("homelab")}contexts:
- context:
    cluster: homelab
    namespace: default
    user: admin@homelab
  name: admin@homelab
current-context: admin@homelab
kind: Config
preferences: {}
users:
- name: admin@homelab
  user:
    client-certificate-data: Y2VydAo=
    client-key-data: a2V5Cg==
x-keep: unknown key
`;
}

export interface KubeWorld extends AsyncDisposable {
  login: LoginWorld;
  api: KubeApiserver;
  kubeconfig: string;
  outputDir: string;
  /** `talosctl-oidc kube setup` with the world's provider, client and scopes, plus `extra`. */
  setup(...extra: string[]): Promise<CliResult>;
  /** What the admin does with kube setup's patch: the stand-in takes it (as kube-apiserver after talosctl patch mc). */
  applyPatch(): Promise<void>;
  /** `talosctl-oidc login` as `user`, through the IdP's real pages. */
  signIn(user?: string): Promise<CliResult>;
  /** kubectl with the kubeconfig, in the CLI's environment (the plugin inherits it). */
  kubectl(...args: string[]): Promise<KubectlResult>;
  /** Requests the IdP served so far, by path. */
  idpHits(): Record<string, number>;
}

export async function startKubeWorld(o: { users?: IdpUser[]; idp?: TestIdpOptions } = {}): Promise<KubeWorld> {
  await requireKubectl();
  const login = await startLoginWorld({ ...o.idp, ...(o.users ? { users: o.users } : {}) });
  const api = await startKubeApiserver({ allowHttpIssuer: true });
  const kubeconfig = join(login.home, ".kube", "config");
  const outputDir = join(login.home, "cluster");
  await Deno.mkdir(join(login.home, ".kube"), { recursive: true });
  await Deno.writeTextFile(kubeconfig, existingKubeconfig(api), { mode: 0o600 });
  const { browserCommand } = await import("./helpers/cli.ts");
  return {
    login,
    api,
    kubeconfig,
    outputDir,
    setup: (...extra) =>
      runCli([
        ...["kube", "setup", "--provider", login.idp.issuer, "--client-id", login.idp.clientId, "--scopes", SCOPES],
        ...["--kubeconfig", kubeconfig, "--cluster", "homelab", "--output-dir", outputDir],
        ...extra,
      ], { home: login.home }),
    applyPatch: async () =>
      await api.applyTalosDocument(await Deno.readTextFile(join(outputDir, "talos-kube-oidc-patch.yaml"))),
    signIn: (user = "alice") =>
      runCli(login.args("--scopes", SCOPES, "--browser-command", browserCommand("walk", { user })), {
        home: login.home,
      }),
    kubectl: (...args) => kubectl(args, { kubeconfig, home: login.home, env: cliEnv(login.home) }),
    idpHits: () => Object.fromEntries(login.idp.hits),
    async [Symbol.asyncDispose]() {
      await api[Symbol.asyncDispose]();
      await login[Symbol.asyncDispose]();
    },
  };
}

/** Total requests in a hits map. */
export function total(hits: Record<string, number>): number {
  return Object.values(hits).reduce((a, b) => a + b, 0);
}
