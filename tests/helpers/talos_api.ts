/**
 * @module A Talos API stand-in for tests and the demo, in a child process (tests/helpers/talos_api_standin.ts) so
 * that stopping it kills the connection without an HTTP/2 GOAWAY: Deno 2.9's node:http2 can abort the whole process
 * while receiving one (denoland/deno#36788), and a test runner must not die of it. Also: the exchange server's own
 * talosconfig, and a talos_api issuer wired to a stand-in.
 */

import { Buffer } from "node:buffer";
import { join } from "node:path";
import { stringify } from "yaml";
import { jsonLogger } from "../../shared/log.ts";
import { createTalosApiClient, type TalosApiTarget } from "../../server/talos_api/client.ts";
import { parseTalosCredential } from "../../server/talos_api/credential.ts";
import { parseEndpoint } from "../../server/talos_api/endpoint.ts";
import { createTalosApiIssuer } from "../../server/talos_api/issuer.ts";
import { type DevCa, signDevLeaf } from "./dev_ca.ts";
import type { ReceivedCall, StandInEvent, TalosApiStandInOptions } from "./talos_api_standin.ts";

export type { ReceivedCall, TalosApiStandInOptions };

const ENTRY = new URL("./talos_api_standin.ts", import.meta.url).pathname;

export interface TalosApiStandIn extends AsyncDisposable {
  /** `127.0.0.1:port` or the socket path, as an `endpoints` entry / `talos_socket` value. */
  endpoint: string;
  port: number;
  /** Every GenerateClientConfiguration call answered so far (waits for the child's report to arrive). */
  calls(): Promise<ReceivedCall[]>;
  /** How many Version calls it answered. */
  versions(): Promise<number>;
  /** Kill it (a node going down: the connection drops, no GOAWAY). */
  stop(): Promise<void>;
}

/** Start the stand-in. `await using talos = await startTalosApiStandIn({ ca })`. */
export async function startTalosApiStandIn(o: TalosApiStandInOptions): Promise<TalosApiStandIn> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ENTRY],
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const enc = new TextEncoder();
  await stdin.write(enc.encode(JSON.stringify(o) + "\n"));
  const calls: ReceivedCall[] = [];
  let versions = 0;
  const waiting: (() => void)[] = [];
  const { promise: started, resolve: ready } = Promise.withResolvers<{ endpoint: string; port: number }>();
  const reading = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const e = JSON.parse(buf.slice(0, i)) as StandInEvent;
        buf = buf.slice(i + 1);
        if ("ready" in e) ready(e.ready);
        else if ("call" in e) calls.push(e.call);
        else if ("version" in e) versions++;
        else waiting.shift()?.();
      }
    }
  })();
  const exited = child.status.then(() => {
    for (const w of waiting.splice(0)) w();
  });
  const where = await Promise.race([started, exited.then(() => undefined)]);
  if (!where) throw new Error("the Talos API stand-in exited before listening");
  /** Round trip through the child: every event it wrote before this answer has been read. */
  const sync = async () => {
    const answered = new Promise<void>((r) => waiting.push(r));
    await stdin.write(enc.encode("sync\n")).catch(() => waiting.shift()?.());
    await answered;
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await sync().catch(() => {});
    child.kill("SIGKILL");
    await stdin.close().catch(() => {});
    await exited;
    await reading.catch(() => {});
    if (o.socketPath) await Deno.remove(o.socketPath).catch(() => {});
  };
  return {
    ...where,
    calls: async () => (stopped ? undefined : await sync(), [...calls]),
    versions: async () => (stopped ? undefined : await sync(), versions),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** A talosconfig for the exchange server itself: a client certificate from `ca` with `roles` (default os:admin). */
export async function serverTalosconfig(
  ca: DevCa,
  o: { roles?: string[]; cn?: string; notAfter?: Date; endpoints?: string[] } = {},
): Promise<string> {
  const leaf = await signDevLeaf(ca, {
    subject: [{ O: o.roles ?? ["os:admin"] }, { CN: [o.cn ?? "talosctl-oidc"] }],
    ...(o.notAfter ? { notAfter: o.notAfter } : {}),
  });
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const key = leaf.keyPem.replaceAll(" PRIVATE KEY-", " ED25519 PRIVATE KEY-");
  return stringify({
    context: "talosctl-oidc",
    contexts: {
      "talosctl-oidc": { endpoints: o.endpoints ?? [], ca: b64(ca.certPem), crt: b64(leaf.certPem), key: b64(key) },
    },
  });
}

/** A talos_api issuer for `endpoints` with a server credential from `ca` (roles default os:admin); logs captured. */
export async function talosApiIssuer(ca: DevCa, endpoints: string[], o: { roles?: string[]; dir?: string } = {}) {
  const text = await serverTalosconfig(ca, { roles: o.roles ?? ["os:admin"] });
  const path = join(o.dir ?? await Deno.makeTempDir(), "talosconfig");
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  const logs: string[] = [];
  const target: TalosApiTarget = {
    kind: "talosconfig",
    credential: parseTalosCredential(text, path),
    endpoints: endpoints.map((e) => parseEndpoint(e)!),
  };
  const logger = jsonLogger({ level: "debug", write: (l) => void logs.push(l) });
  const client = createTalosApiClient({ target, timeoutMs: 5000, logger, now: () => new Date() });
  const issuer = createTalosApiIssuer({ client, logger, now: () => new Date() });
  return { issuer, path, logs, [Symbol.dispose]: () => issuer.close() };
}
