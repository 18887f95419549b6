/** @module A real exchange server in talos_api mode, loaded from a config file by the real loader, with its Talos stand-in. */

import { join } from "node:path";
import { stringify } from "yaml";
import type { Clock } from "../../shared/clock.ts";
import { jsonLogger } from "../../shared/log.ts";
import { loadServerConfig } from "../../server/config_loader.ts";
import { startServer } from "../../server/app.ts";
import type { RunningServer } from "../../server/loops.ts";
import { createDevCa, type DevCa } from "./dev_ca.ts";
import {
  serverTalosconfig,
  startTalosApiStandIn,
  type TalosApiStandIn,
  type TalosApiStandInOptions,
} from "./talos_api.ts";

export interface TalosApiServer extends AsyncDisposable {
  server: RunningServer;
  url: string;
  ca: DevCa;
  talos: TalosApiStandIn;
  dir: string;
  /** The server's own talosconfig (os:admin). */
  credentialPath: string;
  /** The served self-signed TLS CA (for --server-ca). */
  tlsCaPem: string;
  audit: Record<string, unknown>[];
  logs: string[];
  /** GET or POST over the network, trusting the served CA. */
  request(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
}

/** Start a Talos API stand-in and a server issuing through it; `config` adds keys (rbac, ...) to the file. */
export async function startTalosApiServer(o: {
  idp: { issuer: string; clientId: string };
  config?: Record<string, unknown>;
  standIn?: Omit<TalosApiStandInOptions, "ca">;
  clock?: Clock;
}): Promise<TalosApiServer> {
  const dir = await Deno.makeTempDir({ prefix: "talos-api-server-" });
  const ca = await createDevCa("ed25519");
  const talos = await startTalosApiStandIn({ ca, ...o.standIn });
  const credentialPath = join(dir, "talosconfig");
  await Deno.writeTextFile(credentialPath, await serverTalosconfig(ca), { mode: 0o600 });
  const file = {
    issuer_url: o.idp.issuer,
    client_id: o.idp.clientId,
    endpoints: [talos.endpoint],
    listen: "127.0.0.1:0",
    talos_config: credentialPath,
    workers: 1, // an injected clock does not reach worker threads
    ...o.config,
  };
  await Deno.writeTextFile(join(dir, "server.yaml"), stringify(file), { mode: 0o600 });
  const loaded = await loadServerConfig({ path: join(dir, "server.yaml"), env: { HOME: dir } });
  if (loaded.problems.length > 0) throw new Error(`talos_api test config has problems:\n${loaded.problems.join("\n")}`);
  const audit: Record<string, unknown>[] = [], logs: string[] = [];
  const server = await startServer(loaded, {
    logger: jsonLogger({ level: "debug", write: (l) => void logs.push(l) }),
    stdout: (t) => void audit.push(...t.split("\n").filter(Boolean).map((l) => JSON.parse(l))),
    ...(o.clock ? { clock: o.clock } : {}),
  });
  const tlsCaPem = server.deps.tls.caPem()!;
  const client = Deno.createHttpClient({ caCerts: [tlsCaPem] });
  return {
    server,
    url: server.url,
    ca,
    talos,
    dir,
    credentialPath,
    tlsCaPem,
    audit,
    logs,
    async request(path, body) {
      const res = await fetch(`${server.url}${path}`, {
        client,
        ...(body === undefined
          ? {}
          : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      });
      return { status: res.status, json: await res.json() };
    },
    async [Symbol.asyncDispose]() {
      client.close();
      await server.close();
      await talos.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
