/** @module `talosctl-oidc kube`: the group's help; main.ts runs `kube token|setup|doctor` as commands of their own. */

import { defineCommand, defineSpec, EXIT, usageError } from "../../shared/cli.ts";

const spec = defineSpec({
  name: "kube",
  usage: "talosctl-oidc kube token|setup|doctor [flags]",
  description: `
One sign-in for talosctl and kubectl: kube-apiserver accepts the same ID token login caches.
  setup    write a kubeconfig user + context that run "kube token", and print the Talos patch and
           ClusterRoleBinding the cluster needs (once per cluster)
  token    the kubectl exec credential plugin (kubectl runs it; you do not)
  doctor   check a fresh ID token against kube-apiserver's rules and say what to fix
Run "talosctl-oidc kube <command> --help" for its flags; docs/kubernetes.md walks through it end to end.`,
  flags: [],
  maxPositionals: 1,
  examples: [
    "talosctl-oidc kube setup --profile prod --cluster homelab --admin-group kubernetes-admins",
    "kubectl --context oidc auth whoami",
    "talosctl-oidc kube doctor --profile prod",
  ],
});

export const kubeCommand = defineCommand(spec, (_ctx, { positionals }) => {
  const what = positionals[0] === undefined ? "missing command" : `unknown command "${positionals[0]}"`;
  return Promise.reject(usageError("kube", `${what}: use token, setup or doctor`)) as Promise<typeof EXIT.OK>;
});
