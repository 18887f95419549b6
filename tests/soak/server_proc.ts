/**
 * @module The soak's server: a real `serve` child (workers as shipped) on a fixed port so it can be SIGKILLed and
 * started again on the same data_dir, its wall clock steppable (serve_entry.ts), sampled for RSS and open fds.
 */

import { join } from "node:path";
import { startServer } from "../bench/exchange_server.ts";
import type { TestIdp } from "../helpers/idp.ts";

export interface SoakServer {
  url: string;
  pid(): number;
  /** A fetch client trusting the server's self-signed CA (the same across restarts: it lives in data_dir). */
  client(): Deno.HttpClient;
  caPem: string;
  dataDir: string;
  /** SIGKILL now; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Start again on the same port, data_dir and audit log; resolves once it listens. Returns its log's text. */
  restart(): Promise<string>;
  /** Set the server's wall clock `ms` off the real one (0: back in step). */
  stepClock(ms: number): Promise<void>;
  /** SIGTERM and wait (a graceful stop writes every pending count). */
  stop(): Promise<void>;
  /** Resident memory (KiB) and open file descriptors of the server process now. */
  sample(): Promise<{ rssKiB: number; fds: number }>;
  starts: number;
}

/**
 * The soak server's max_connections: what the soak itself may hold open at once, with room to spare. The load keeps
 * up to 512 requests outstanding, and its client (hyper's pool) keeps every connection it opened, also those it opened
 * for requests that gave up while the server was behind: on 2 loaded cores the server held ~1,000 of them (fds) after
 * a restart, before the slow-client phase adds its 400. Against the default 1024 (512 per thread with 2 threads) the
 * server then rightly closed new connections as they arrived ("tls handshake eof", slow sockets refused): the soak's
 * own connections over the limit, not a fault. max_connections itself is tested in tests/ops_body_limits_test.ts and
 * tests/fault_slow_clients_test.ts.
 */
export const SOAK_MAX_CONNECTIONS = 4096;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export async function startSoakServer(
  idp: TestIdp,
  ca: { certPem: string; keyPem: string },
  dir: string,
  o: { root: string; auditLog: string; env?: Record<string, string> },
): Promise<SoakServer> {
  const clockFile = join(dir, "clock-offset");
  await Deno.writeTextFile(clockFile, "0");
  const env = {
    TALOSCTL_OIDC_LISTEN: `127.0.0.1:${freePort()}`,
    TALOSCTL_OIDC_AUDIT_LOG: o.auditLog,
    TALOSCTL_OIDC_WORKERS: "auto",
    TALOSCTL_OIDC_MAX_CONNECTIONS: String(SOAK_MAX_CONNECTIONS),
    SOAK_CLOCK_FILE: clockFile,
    ...o.env,
  };
  const ctx = { root: o.root, deno: Deno.execPath(), budgetSeconds: 0, log() {} };
  const entry = ["tests/soak/serve_entry.ts", "serve"];
  let starts = 0;
  const launch = async () => {
    const s = await startServer(idp, ca, dir, ctx, { env, entry, logName: `server-${starts++}.log` });
    return s;
  };
  let server = await launch();
  const dataDir = join(dir, "data");
  const caPem = await Deno.readTextFile(join(dataDir, "ca.crt"));
  let client = Deno.createHttpClient({ caCerts: [caPem] });
  return {
    url: server.url,
    pid: () => server.child.pid,
    client: () => client,
    caPem,
    dataDir,
    get starts() {
      return starts;
    },
    async kill() {
      server.child.kill("SIGKILL");
      await server.child.status;
    },
    async restart() {
      server = await launch();
      // A new pool: connections to the killed process are dead, and a client must not wait on them.
      const old = client;
      client = Deno.createHttpClient({ caCerts: [caPem] });
      setTimeout(() => old.close(), 15_000);
      return await Deno.readTextFile(join(dir, `server-${starts - 1}.log`));
    },
    async stepClock(ms) {
      await Deno.writeTextFile(clockFile, String(ms));
      await new Promise((r) => setTimeout(r, 300)); // every thread re-reads it within 100 ms
    },
    async stop() {
      try {
        server.child.kill("SIGTERM");
      } catch { /* already gone */ }
      await server.child.status;
      client.close();
    },
    async sample() {
      const pid = server.child.pid;
      const status = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => "");
      const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      let fds = 0;
      try {
        for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) fds++;
      } catch { /* gone */ }
      return { rssKiB, fds };
    },
  };
}
