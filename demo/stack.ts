/**
 * @module The demo's moving parts on 127.0.0.1, all files under one temp dir: the embedded IdP (npm oidc-provider),
 * a dev Talos-style Ed25519 OS CA (as secrets.yaml), the exchange server started from a real config file in
 * self-signed TLS mode with RBAC, and an mTLS apid stand-in that trusts only the Talos CA. With `talosApi`, the
 * server holds no CA: it issues through a Talos API stand-in (gRPC over mutual TLS) with its own os:admin talosconfig.
 */

import { join } from "node:path";
import { jsonLogger } from "../shared/log.ts";
import { loadServerConfig } from "../server/config_loader.ts";
import { startServer } from "../server/app.ts";
import type { RunningServer } from "../server/loops.ts";
import { type FakeApid, startFakeApid } from "../tests/helpers/apid.ts";
import { createDevCa, writeTalosSecretsYaml } from "../tests/helpers/dev_ca.ts";
import { startTestIdp, type TestIdp } from "../tests/helpers/idp.ts";
import { serverTalosconfig, startTalosApiStandIn, type TalosApiStandIn } from "../tests/helpers/talos_api.ts";
import { DEMO_CLIENT_ID, DEMO_USERS } from "./constants.ts";

export interface DemoPaths {
  dir: string;
  talosconfig: string;
  serverConfig: string;
  serverCa: string;
  talosSecrets: string;
  /** The server's own os:admin talosconfig (Talos API mode). */
  talosCredential: string;
  serverLog: string;
  auditLog: string;
}

export interface DemoStack extends AsyncDisposable {
  idp: TestIdp;
  server: RunningServer;
  apid: FakeApid;
  /** The Talos API stand-in the server issues through (Talos API mode). */
  talos?: TalosApiStandIn;
  paths: DemoPaths;
}

/** The exchange server's config, written as a file so people can read what a deployment needs. */
function demoServerConfig(
  o: {
    issuer: string;
    apidPort: number;
    dir: string;
    secrets: string;
    talosApi?: { credential: string; endpoint: string };
  },
): string {
  const issuing = o.talosApi
    ? `talos_config: ${o.talosApi.credential}   # the server's own os:admin talosconfig: no CA key here
talos_api_endpoints: ["${o.talosApi.endpoint}"]   # the Talos API stand-in; real clusters: leave out (= endpoints)`
    : `talos_secrets: ${o.secrets}            # a dev Talos OS CA, as in "talosctl gen secrets"`;
  return `# The demo exchange server's config: the same keys a real deployment uses (docs/configuration.md).
issuer_url: ${o.issuer}
client_id: ${DEMO_CLIENT_ID}
endpoints: ["127.0.0.1:${o.apidPort}"]   # the apid stand-in; real clusters list control-plane IPs
nodes: ["127.0.0.1"]
listen: 127.0.0.1:0                    # any free port (the demo prints it)
${issuing}
data_dir: ${join(o.dir, "server-data")}         # self-signed TLS CA and leaf live here
audit_log: ${join(o.dir, "audit.log")}
cert_ttl: 5m
roles: []                              # nobody gets anything unless a rule matches
rbac:
  rules:
    - { claim: groups, value: talos-admins, roles: [os:admin] }
    - { claim: groups, value: talos-readers, roles: [os:reader] }
`;
}

/** Start everything; `dir` must exist and be empty. Dispose to stop it all (files are left to the caller). */
export async function startDemoStack(dir: string, o: { talosApi?: boolean } = {}): Promise<DemoStack> {
  const paths: DemoPaths = {
    dir,
    talosconfig: join(dir, "talosconfig"),
    serverConfig: join(dir, "server.yaml"),
    serverCa: join(dir, "server-ca.pem"),
    talosSecrets: join(dir, "secrets.yaml"),
    talosCredential: join(dir, "talos-api-credential"),
    serverLog: join(dir, "server.log"),
    auditLog: join(dir, "audit.log"),
  };
  const stack: Partial<DemoStack> = {};
  const log = await Deno.open(paths.serverLog, { append: true, create: true, mode: 0o600 });
  const close = async () => {
    await stack.server?.close();
    await stack.apid?.[Symbol.asyncDispose]();
    await stack.talos?.stop();
    await stack.idp?.close();
    log.close();
  };
  try {
    stack.idp = await startTestIdp({ users: DEMO_USERS, clients: [{ client_id: DEMO_CLIENT_ID }] });
    const ca = await createDevCa("ed25519");
    await writeTalosSecretsYaml(dir, ca);
    stack.apid = await startFakeApid({ caPem: ca.certPem, caKeyPem: ca.keyPem });
    if (o.talosApi) {
      stack.talos = await startTalosApiStandIn({ ca });
      await Deno.writeTextFile(paths.talosCredential, await serverTalosconfig(ca), { mode: 0o600 });
    }
    const config = demoServerConfig({
      issuer: stack.idp.issuer,
      apidPort: stack.apid.port,
      dir,
      secrets: paths.talosSecrets,
      ...(stack.talos ? { talosApi: { credential: paths.talosCredential, endpoint: stack.talos.endpoint } } : {}),
    });
    await Deno.writeTextFile(paths.serverConfig, config, { mode: 0o600 });
    const loaded = await loadServerConfig({ path: paths.serverConfig, env: {} });
    if (loaded.problems.length > 0) {
      throw new Error(`the demo's server config has problems:\n${loaded.problems.join("\n")}`);
    }
    const enc = new TextEncoder();
    const logger = jsonLogger({ level: "debug", write: (line) => void log.writeSync(enc.encode(line + "\n")) });
    stack.server = await startServer(loaded, { logger });
    await Deno.writeTextFile(paths.serverCa, stack.server.deps.tls.caPem()!, { mode: 0o644 });
  } catch (err) {
    await close();
    throw err;
  }
  return { ...(stack as Omit<DemoStack, "paths" | typeof Symbol.asyncDispose>), paths, [Symbol.asyncDispose]: close };
}
