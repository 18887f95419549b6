/** @module Run the real kubectl (Debian package, see scripts/setup.sh) against a kubeconfig, in a clean env. */

import { join } from "node:path";

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl's client version as [major, minor], or null when it is not installed. */
export async function kubectlVersion(): Promise<[number, number] | null> {
  try {
    const out = await new Deno.Command("kubectl", { args: ["version", "--client", "-o", "json"], stdout: "piped" })
      .output();
    const v = JSON.parse(new TextDecoder().decode(out.stdout)).clientVersion;
    return [Number(v.major), Number(String(v.minor).replace(/\D.*$/, ""))];
  } catch {
    return null;
  }
}

/**
 * The reason the tests cannot drive kubectl here, or undefined when they can: `auth whoami` needs kubectl 1.27+
 * and the v1 exec credential API 1.22+.
 */
export async function kubectlMissing(): Promise<string | undefined> {
  const v = await kubectlVersion();
  if (!v) return "kubectl is not installed (scripts/setup.sh test installs it)";
  if (v[0] === 1 && v[1] < 27) return `kubectl ${v.join(".")} is too old: "auth whoami" needs 1.27 or later`;
  return undefined;
}

/** Fail the test with what to install when kubectl cannot be driven here (never skip silently). */
export async function requireKubectl(): Promise<void> {
  const why = await kubectlMissing();
  if (why) throw new Error(`${why}; run scripts/setup.sh test`);
}

/** Run kubectl with `--kubeconfig`, HOME at `home` (its discovery cache lands there), PATH and `env` only. */
export async function kubectl(
  args: string[],
  o: { kubeconfig: string; home: string; env?: Record<string, string> },
): Promise<KubectlResult> {
  const out = await new Deno.Command("kubectl", {
    args: ["--kubeconfig", o.kubeconfig, ...args],
    clearEnv: true,
    env: { HOME: o.home, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...o.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A kubeconfig with one cluster entry and a static-token user, for testing the stand-in by itself. */
export async function writeTokenKubeconfig(dir: string, clusterEntry: string, token: string): Promise<string> {
  const path = join(dir, "kubeconfig-token");
  const text = `apiVersion: v1
kind: Config
clusters:
${clusterEntry}contexts:
- context: {cluster: standin, user: static}
  name: standin
current-context: standin
users:
- name: static
  user: {token: ${token}}
`;
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  return path;
}
