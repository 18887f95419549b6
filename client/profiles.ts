/**
 * @module Named login profiles written by `setup`: `<user config dir>/talosctl-oidc/profiles/<name>.yaml`, with the
 * pinned exchange-server CA beside it as `<name>-ca.pem`, so everyday use is `talosctl-oidc login --profile NAME`.
 */

import { dirname, isAbsolute, join } from "node:path";
import { parse, stringify } from "yaml";
import { atomicWrite } from "../shared/atomic_write.ts";
import type { ParsedArgs } from "../shared/cli.ts";
import { TalosOidcError } from "../shared/errors.ts";
import { type Env, expandHome, type Os, userConfigDir } from "./paths.ts";

/** What a profile holds: the login flags that identify one IdP client + exchange server pair. */
export interface Profile {
  name: string;
  provider: string;
  clientId: string;
  server: string;
  /** Absolute path of the pinned server CA PEM (absent when the server has a publicly trusted certificate). */
  serverCa?: string;
  /** Lowercase hex SHA-256 of the pinned CA's DER, as shown when it was pinned. */
  serverCaSha256?: string;
  /** Only for IdPs that insist on one for native apps (Google "Desktop app"). */
  clientSecret?: string;
  contextName?: string;
  /** talosconfig to write (default: $TALOSCONFIG, $TALOS_HOME/config or ~/.talos/config, as without a profile). */
  talosconfig?: string;
  scopes?: string[];
  callbackPort?: number;
  deviceCode?: boolean;
  /** Absolute paths of the pair the loopback callback is served with over https:// (both or neither). */
  localServerCert?: string;
  localServerKey?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `<user config dir>/talosctl-oidc/profiles`. */
function profilesDir(env: Env, os: Os = Deno.build.os): string {
  return join(userConfigDir(env, os), "talosctl-oidc", "profiles");
}

/**
 * The file of profile `name`.
 * @throws {TalosOidcError} ERR_USAGE for a name that is not a plain file name.
 */
export function profilePath(name: string, env: Env, os: Os = Deno.build.os): string {
  if (!NAME.test(name)) {
    throw new TalosOidcError("ERR_USAGE", `invalid profile name "${name}"`, {
      hint: "use letters, digits, dot, dash and underscore (up to 64 characters)",
    });
  }
  return join(profilesDir(env, os), `${name}.yaml`);
}

/** Names of the saved profiles, sorted. */
export async function listProfiles(env: Env, os: Os = Deno.build.os): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(profilesDir(env, os))) {
      if (e.isFile && e.name.endsWith(".yaml")) names.push(e.name.slice(0, -5));
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return names.sort();
}

/**
 * Read profile `name`.
 * @throws {TalosOidcError} ERR_CONFIG when it does not exist (naming the saved ones) or is malformed.
 */
export async function readProfile(name: string, env: Env, os: Os = Deno.build.os): Promise<Profile> {
  const path = profilePath(name, env, os);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new TalosOidcError("ERR_CONFIG", `reading profile "${path}"`, { cause: err });
    }
    const saved = await listProfiles(env, os);
    throw new TalosOidcError("ERR_CONFIG", `profile "${name}" does not exist in "${dirname(path)}"`, {
      hint: saved.length
        ? `saved profiles: ${saved.join(", ")}`
        : `create it with: talosctl-oidc setup --provider URL --client-id ID --server URL --profile ${name}`,
    });
  }
  return decodeProfile(name, text, dirname(path), env, os);
}

/** Parse profile YAML; a relative `server_ca` is relative to the profile's directory. */
export function decodeProfile(name: string, text: string, dir: string, env: Env, os: Os = Deno.build.os): Profile {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new TalosOidcError("ERR_CONFIG", `parsing profile "${name}"`, { cause: err });
  }
  const d = (doc && typeof doc === "object" && !Array.isArray(doc) ? doc : {}) as Record<string, unknown>;
  const s = (k: string) => (typeof d[k] === "string" && d[k] !== "" ? d[k] as string : undefined);
  const missing = ["provider", "client_id", "server"].filter((k) => !s(k));
  if (missing.length) {
    throw new TalosOidcError("ERR_CONFIG", `profile "${name}" lacks ${missing.join(", ")}`, {
      hint: `re-create it with talosctl-oidc setup --profile ${name}`,
    });
  }
  const path = (k: string) => { // `~` expanded; relative to the profile's directory
    const raw = s(k);
    if (raw === undefined) return undefined;
    const v = expandHome(raw, env, os);
    return isAbsolute(v) ? v : join(dir, v);
  };
  const caPath = path("server_ca"), cbCert = path("local_server_cert"), cbKey = path("local_server_key");
  if (Boolean(cbCert) !== Boolean(cbKey)) {
    throw new TalosOidcError("ERR_CONFIG", `profile "${name}" has only one of local_server_cert and local_server_key`, {
      hint:
        `give both (the callback's certificate and its key), or re-create it with talosctl-oidc setup --profile ${name}`,
    });
  }
  const port = d.callback_port;
  return {
    name,
    provider: s("provider")!,
    clientId: s("client_id")!,
    server: s("server")!,
    ...(caPath ? { serverCa: caPath } : {}),
    ...(s("server_ca_sha256") ? { serverCaSha256: s("server_ca_sha256") } : {}),
    ...(s("client_secret") ? { clientSecret: s("client_secret") } : {}),
    ...(s("context_name") ? { contextName: s("context_name") } : {}),
    ...(s("talosconfig") ? { talosconfig: s("talosconfig") } : {}),
    ...(Array.isArray(d.scopes) ? { scopes: d.scopes.map(String) } : {}),
    ...(typeof port === "number" && Number.isInteger(port) ? { callbackPort: port } : {}),
    ...(d.device_code === true ? { deviceCode: true } : {}),
    ...(cbCert && cbKey ? { localServerCert: cbCert, localServerKey: cbKey } : {}),
  };
}

/**
 * Write profile `p` (0600) and, when given, the server CA PEM beside it as `<name>-ca.pem` (0600), atomically.
 * Returns the profile's path.
 */
export async function writeProfile(p: Profile, env: Env, caPem?: string, os: Os = Deno.build.os): Promise<string> {
  const path = profilePath(p.name, env, os);
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let serverCa = p.serverCa;
  if (caPem !== undefined) {
    serverCa = join(dirname(path), `${p.name}-ca.pem`);
    await atomicWrite(serverCa, caPem.endsWith("\n") ? caPem : caPem + "\n");
  }
  const doc: Record<string, unknown> = {
    provider: p.provider,
    client_id: p.clientId,
    server: p.server,
    ...(serverCa ? { server_ca: serverCa } : {}),
    ...(p.serverCaSha256 ? { server_ca_sha256: p.serverCaSha256 } : {}),
    ...(p.clientSecret ? { client_secret: p.clientSecret } : {}),
    ...(p.contextName ? { context_name: p.contextName } : {}),
    ...(p.talosconfig ? { talosconfig: p.talosconfig } : {}),
    ...(p.scopes?.length ? { scopes: p.scopes } : {}),
    ...(p.callbackPort !== undefined ? { callback_port: p.callbackPort } : {}),
    ...(p.deviceCode ? { device_code: true } : {}),
    ...(p.localServerCert && p.localServerKey
      ? { local_server_cert: p.localServerCert, local_server_key: p.localServerKey }
      : {}),
  };
  const head = `# talosctl-oidc login profile "${p.name}", written by "talosctl-oidc setup".\n` +
    `# Use it with: talosctl-oidc login --profile ${p.name}\n`;
  await atomicWrite(path, head + stringify(doc));
  return path;
}

/** The profile as `login` flag values (flag name → value). */
export function profileFlagValues(p: Profile): Record<string, string | boolean | string[]> {
  return {
    provider: p.provider,
    "client-id": p.clientId,
    server: p.server,
    ...(p.serverCa ? { "server-ca": p.serverCa } : {}),
    ...(p.clientSecret ? { "client-secret": p.clientSecret } : {}),
    ...(p.contextName ? { "context-name": p.contextName } : {}),
    ...(p.talosconfig ? { talosconfig: p.talosconfig } : {}),
    ...(p.scopes ? { scopes: p.scopes } : {}),
    ...(p.callbackPort !== undefined ? { "callback-port": String(p.callbackPort) } : {}),
    ...(p.deviceCode ? { "device-code": true } : {}),
    ...(p.localServerCert && p.localServerKey
      ? { "local-server-cert": p.localServerCert, "local-server-key": p.localServerKey }
      : {}),
  };
}

/**
 * Fill parsed flags from a profile, so that the order is flag > non-empty env > profile > default. A flag given on
 * the command line or through its env var wins; every value taken from the profile counts as explicit (the user
 * chose it when running setup). Only flags of the command's spec are filled. Two values stay with what the user
 * gave: the pinned CA is dropped when --server names another server (it was pinned for the profile's), and the
 * talosconfig path gives way to $TALOSCONFIG or $TALOS_HOME, the env vars of --talosconfig. Mutates and returns
 * `parsed`.
 */
export function applyProfile<P extends ParsedArgs>(parsed: P, p: Profile, env: Env = {}): P {
  const values: Record<string, unknown> = parsed.values; // filled by name: only flags the spec has
  const given = values.server;
  const otherServer = parsed.explicit.has("server") && !sameServer(typeof given === "string" ? given : "", p.server);
  for (const [flag, value] of Object.entries(profileFlagValues(p))) {
    if (parsed.explicit.has(flag) || !Object.hasOwn(values, flag)) continue;
    if (flag === "server-ca" && otherServer) continue;
    if (flag === "talosconfig" && profileTalosconfig(p, env) === undefined) continue;
    values[flag] = value;
    parsed.explicit.add(flag);
  }
  return parsed;
}

/**
 * When `--profile` (or TALOSCTL_OIDC_PROFILE) names a profile, read it and fill the flags not given (applyProfile).
 * @throws {TalosOidcError} ERR_CONFIG (exit 2) when it does not exist, naming the saved ones, or is malformed.
 */
export async function applyNamedProfile(
  parsed: ParsedArgs<readonly [{ name: "profile"; type: "string"; description: string }]>,
  env: Env,
): Promise<Profile | undefined> {
  const name = parsed.values.profile;
  if (!name) return undefined;
  const profile = await readProfile(name, env);
  applyProfile(parsed, profile, env);
  return profile;
}

/** The profile's talosconfig path unless $TALOSCONFIG or an absolute $TALOS_HOME (env of --talosconfig) is set. */
export function profileTalosconfig(p: Profile, env: Env): string | undefined {
  return env.TALOSCONFIG || isAbsolute(env.TALOS_HOME ?? "") ? undefined : p.talosconfig;
}

function sameServer(a: string, b: string): boolean {
  const norm = (u: string) => URL.parse(u)?.href.replace(/\/+$/, "") ?? u.replace(/\/+$/, "");
  return norm(a) === norm(b);
}

/**
 * The `login` command line equivalent to a profile, for people who prefer flags (values shell-quoted). A client
 * secret is left out: pass it in TALOSCTL_OIDC_CLIENT_SECRET.
 */
export function loginCommandFor(p: Profile, bin = "talosctl-oidc"): string {
  const q = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const parts = [bin, "login"];
  for (const [flag, value] of Object.entries(profileFlagValues(p))) {
    if (flag === "client-secret") continue; // not on a command line: login reads TALOSCTL_OIDC_CLIENT_SECRET
    if (value === true) parts.push(`--${flag}`);
    else if (Array.isArray(value)) parts.push(`--${flag}`, q(value.join(",")));
    else if (typeof value === "string") parts.push(`--${flag}`, q(value));
  }
  return parts.join(" ");
}
