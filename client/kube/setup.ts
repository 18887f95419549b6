/**
 * @module The kube setup use case: find the exact issuer, write the exec user and context into the kubeconfig
 * (safely: lock, re-read, refuse a broken file, atomic 0600), and produce the cluster-side YAML.
 */

import { join } from "node:path";
import { atomicWrite } from "../../shared/atomic_write.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import { discoverProvider } from "../oidc/discovery.ts";
import { readConfigText, updateConfigFile, type UpdateResult } from "../yaml_file.ts";
import { type ClusterFile, clusterFiles, type KubeOidcSettings, type TalosVersion } from "./cluster_config.ts";
import { currentKubeContext, entry, entryNames, KUBECONFIG, parseKubeconfig } from "./kubeconfig.ts";
import { applyKubeSetup, type ExecConfig } from "./kubeconfig_merge.ts";

export interface KubeSetupInput {
  provider: string;
  insecureProvider: boolean;
  clientId: string;
  /** Names the kubeconfig user and context (and is the login context whose token the plugin uses). */
  contextName: string;
  kubeconfig: string;
  /** The cluster entry to bind; default: the current context's, else the only one. */
  cluster?: string;
  oidc: Omit<KubeOidcSettings, "issuer" | "clientId">;
  talosVersion: TalosVersion;
  adminGroup?: string;
  /** Write the cluster-side files here instead of returning them for printing. */
  outputDir?: string;
  makeCurrent: boolean;
  exec: ExecConfig;
}

export interface KubeSetupResult {
  kubeconfig: UpdateResult;
  cluster: string;
  /** The issuer as the IdP states it (what `iss` holds, so what kube-apiserver must be given). */
  issuer: string;
  files: ClusterFile[];
  /** Paths written under outputDir. */
  written: string[];
}

/**
 * Run kube setup.
 * @throws {TalosOidcError} ERR_KUBECONFIG (broken file, no such cluster), ERR_USAGE, ERR_IO writing --output-dir.
 */
export async function runKubeSetup(
  input: KubeSetupInput,
  deps: { logger: Logger; signal: AbortSignal },
): Promise<KubeSetupResult> {
  const issuer = await exactIssuer(input, deps);
  const cluster = input.cluster ?? await defaultCluster(input.kubeconfig);
  const kubeconfig = await updateConfigFile(input.kubeconfig, KUBECONFIG, (text) =>
    applyKubeSetup(text, {
      user: input.contextName,
      context: input.contextName,
      cluster,
      exec: input.exec,
      makeCurrent: input.makeCurrent,
    }, input.kubeconfig));
  const files = clusterFiles({ issuer, clientId: input.clientId, ...input.oidc }, input.talosVersion, input.adminGroup);
  const written: string[] = [];
  if (input.outputDir) {
    try {
      await Deno.mkdir(input.outputDir, { recursive: true, mode: 0o755 });
      for (const f of files) {
        const path = join(input.outputDir, f.name);
        await atomicWrite(path, f.text, { mode: 0o644 }); // no secrets: what the cluster admin applies
        written.push(path);
      }
    } catch (err) {
      throw new TalosOidcError("ERR_IO", `writing the cluster files to "${input.outputDir}"`, {
        cause: err,
        hint: "check --output-dir (the kubeconfig was already updated; run kube setup again to retry)",
      });
    }
  }
  return { kubeconfig, cluster, issuer, files, written };
}

/** kube-apiserver compares `iss` with its issuer URL byte for byte: take the IdP's own spelling. */
async function exactIssuer(input: KubeSetupInput, deps: { logger: Logger; signal: AbortSignal }): Promise<string> {
  try {
    const metadata = await discoverProvider(input.provider, {
      signal: deps.signal,
      allowPlainHttp: input.insecureProvider,
    });
    return metadata.issuer;
  } catch (err) {
    if (deps.signal.aborted) throw err;
    deps.logger.warn(
      `Could not fetch the discovery document of "${input.provider}" (${err instanceof Error ? err.message : err}); ` +
        `the Talos patch uses --provider as given: it must equal the "iss" of your ID tokens exactly`,
    );
    return input.provider;
  }
}

/** The current context's cluster, else the only cluster. */
async function defaultCluster(path: string): Promise<string> {
  const { text } = await readConfigText(path, KUBECONFIG);
  const doc = parseKubeconfig(text, path);
  const current = currentKubeContext(doc);
  const fromContext = current ? entry(doc, "contexts", current)?.cluster : undefined;
  if (typeof fromContext === "string" && fromContext) return fromContext;
  const names = entryNames(doc, "clusters");
  if (names.length === 1) return names[0]!;
  throw new TalosOidcError("ERR_USAGE", `kube setup: which cluster of kubeconfig "${path}"?`, {
    hint: names.length > 0
      ? `pass --cluster with one of: ${names.join(", ")}`
      : `the kubeconfig has no cluster yet: get one with "talosctl kubeconfig", or pass --kubeconfig`,
  });
}
