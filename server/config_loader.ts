/** @module Thin config loader: read the YAML file, parse with the environment, then check the files it names. */

import { parseDocument } from "yaml";
import { isTalosOidcError } from "../shared/errors.ts";
import { readAuditKey } from "./audit/hmac_key.ts";
import { parseConfig, type ParsedConfig, type PemSource, type ServerConfig } from "./config.ts";
import { describeYamlErrors } from "./config_values.ts";
import { caFromTalosSecrets } from "./talos_ca/talos_secrets.ts";
import { type LoadedCa, loadTalosCa } from "./talos_ca/load.ts";
import { loadProvidedTls } from "./tls/provided.ts";
import type { TalosCredential } from "./talos_api/credential.ts";
import { loadTalosCredential } from "./talos_api/load.ts";

type Env = Readonly<Record<string, string | undefined>>;

export interface LoadedServerConfig extends ParsedConfig {
  /** The line the original tool logs about where the configuration came from. */
  source: string;
  /** The Talos CA, loaded and checked (local_ca; undefined when there are problems). */
  ca?: LoadedCa;
  /** The server's own Talos API credential, checked (talos_api with a talosconfig; undefined in socket mode). */
  talos?: TalosCredential;
  /** What the config was parsed from, for worker threads to parse again (see app.ts startServer). */
  input: { file: unknown; env: Env };
}

/**
 * Load the configuration: `--config` path, else `TALOSCTL_OIDC_CONFIG`, else environment only.
 * Beyond parseConfig's checks, reads the files it names: the CA key must not be readable by group
 * or others, the CA key must match its certificate, and the TLS pair must load. Every problem is
 * collected; nothing throws for bad input.
 */
export async function loadServerConfig(options: { path?: string; env: Env }): Promise<LoadedServerConfig> {
  const path = options.path || options.env.TALOSCTL_OIDC_CONFIG || undefined;
  let file: unknown;
  if (path) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      return onlyProblem(
        `reading config file "${path}": ${err instanceof Error ? err.message : String(err)}`,
        options.env,
      );
    }
    const doc = parseDocument(text, { prettyErrors: false });
    if (doc.errors.length > 0) {
      const problem = `parsing config file "${path}": ${describeYamlErrors(text, doc)}`;
      return onlyProblem(problem, options.env, logFormatLine(text));
    }
    file = doc.toJS();
  }
  const parsed = parseConfig(file, options.env);
  const source = path
    ? `Configuration loaded from file: ${path} (env vars override)`
    : "Configuration loaded from environment variables";
  const problems = [...parsed.problems], warnings = [...parsed.warnings];
  const ca = await checkCa(parsed.config, problems);
  const talos = parsed.config.talosApi && !problems.some((p) => /^(talos_config|talos_socket)/.test(p))
    ? await loadTalosCredential(parsed.config.talosApi, new Date())
    : undefined;
  problems.push(...talos?.problems ?? []);
  warnings.push(...talos?.warnings ?? []);
  await checkTls(parsed.config, problems);
  await checkAuditKey(parsed.config, problems);
  const ok = problems.length === 0;
  return {
    ...parsed,
    problems,
    warnings,
    source,
    input: { file, env: options.env },
    ...(ca && ok ? { ca } : {}),
    ...(talos?.credential && ok ? { talos: talos.credential } : {}),
  };
}

/**
 * The file could not be used: its one problem, and a config for log_format alone: from the environment, else from
 * what could be salvaged from the file (logFormatLine), else the default.
 */
function onlyProblem(problem: string, env: Env, salvaged?: { log_format: string }): LoadedServerConfig {
  const { config } = parseConfig(salvaged, env);
  return { config, problems: [problem], warnings: [], source: "", input: { file: undefined, env: {} } };
}

/** A whole top-level `log_format: json|text` line: quotes and a trailing comment allowed, nothing else on it. */
const LOG_FORMAT_LINE = /^log_format[ \t]*:[ \t]*(["']?)(json|text)\1(?:[ \t]+#[^\n]*)?[ \t]*\r?$/gm;

/**
 * Best effort for a file that is not valid YAML, so its error is reported the way the operator reads the log: the
 * log_format its top-level `log_format:` lines agree on. Only lines at column 0 count (an indented one belongs to
 * another key or a block scalar); none, or lines that disagree, leave the default.
 */
function logFormatLine(text: string): { log_format: string } | undefined {
  const said = new Set([...text.replace(/^\uFEFF/, "").matchAll(LOG_FORMAT_LINE)].map((m) => m[2]!));
  return said.size === 1 ? { log_format: [...said][0]! } : undefined;
}

async function checkCa(config: ServerConfig, problems: string[]): Promise<LoadedCa | undefined> {
  if (!config.ca) return undefined;
  const where = (k: string) => `${k} / TALOSCTL_OIDC_${k.toUpperCase()}`;
  const before = problems.length;
  let certPem: string | undefined, keyPem: string | undefined;
  if (config.ca.kind === "talos_secrets") {
    const { path } = config.ca;
    if (!path || problems.some((p) => p.startsWith("talos_secrets"))) return undefined;
    const text = await readSecretFile(path, where("talos_secrets"), problems);
    if (text === undefined) return undefined;
    try {
      ({ certPem, keyPem } = caFromTalosSecrets(text));
    } catch (err) {
      problems.push(`${where("talos_secrets")}: ${describe(err)}`);
      return undefined;
    }
  } else {
    if (problems.some((p) => /^(ca_cert|ca_key|talos_secrets)/.test(p))) return undefined;
    certPem = await readPem(config.ca.cert, where("ca_cert"), problems, false);
    keyPem = await readPem(config.ca.key, where("ca_key"), problems, true);
  }
  if (certPem === undefined || keyPem === undefined || problems.length > before) return undefined;
  try {
    return await loadTalosCa({ certPem, keyPem });
  } catch (err) {
    const key = config.ca.kind === "talos_secrets" ? "talos_secrets" : "ca_key";
    problems.push(`${where(key)}: ${describe(err)}`);
    return undefined;
  }
}

async function readPem(
  src: PemSource,
  where: string,
  problems: string[],
  secret: boolean,
): Promise<string | undefined> {
  if ("inline" in src) return src.inline.reveal();
  return secret ? await readSecretFile(src.path, where, problems) : await readFile(src.path, where, problems);
}

/** Read a file holding the CA key, refusing it when group or others may read it (as deployctl refuses loose credentials). */
async function readSecretFile(path: string, where: string, problems: string[]): Promise<string | undefined> {
  try {
    const st = await Deno.stat(path);
    if (st.mode !== null && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
      problems.push(
        `${where}: "${path}" holds the CA private key but is readable by group or others (mode ${mode}); run: chmod 600 "${path}"`,
      );
      return undefined;
    }
  } catch (err) {
    problems.push(`${where}: cannot read "${path}": ${describe(err)}`);
    return undefined;
  }
  return await readFile(path, where, problems);
}

async function readFile(path: string, where: string, problems: string[]): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    problems.push(`${where}: cannot read "${path}": ${describe(err)}`);
    return undefined;
  }
}

async function checkTls(config: ServerConfig, problems: string[]): Promise<void> {
  if (config.tls.mode !== "provided") return;
  try {
    await loadProvidedTls(config.tls.certPath, config.tls.keyPath);
  } catch (err) {
    problems.push(`tls_cert / TALOSCTL_OIDC_TLS_CERT: ${describe(err)}`);
  }
}

async function checkAuditKey(config: ServerConfig, problems: string[]): Promise<void> {
  if (!config.auditHmacKeyFile) return;
  try {
    await readAuditKey(config.auditHmacKeyFile);
  } catch (err) {
    problems.push(`audit_hmac_key_file / TALOSCTL_OIDC_AUDIT_HMAC_KEY_FILE: ${describe(err)}`);
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : "";
  const hint = isTalosOidcError(err) && err.hint ? `; hint: ${err.hint}` : "";
  return `${err.message}${cause}${hint}`;
}
