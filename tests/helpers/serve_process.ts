/** @module `talosctl-oidc serve` as a real child process for multi-replica tests: its URL, its CA and a client. */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface ServeProcess extends AsyncDisposable {
  url: string;
  /** The self-signed TLS CA it serves with (its data_dir/ca.crt). */
  caPem: string;
  /** Every stderr line so far (JSON log lines). */
  logs: string[];
  /** fetch against the server, trusting its CA (a fresh connection each time: http2 off, one request). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number>;
}

/**
 * Start `main.ts serve` with `env` (TALOSCTL_OIDC_* keys) and its own data_dir under `dir`; resolves once it
 * listens. Nothing is inherited from this process's environment but PATH and HOME.
 */
export async function spawnServe(env: Record<string, string>, dir: string): Promise<ServeProcess> {
  const dataDir = join(dir, "data");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "serve"],
    cwd: ROOT,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: dir,
      NO_COLOR: "1",
      RUST_BACKTRACE: "0",
      TALOSCTL_OIDC_DATA_DIR: dataDir,
      ...env,
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const logs: string[] = [];
  let listening: (url: string) => void = () => {};
  const up = new Promise<string>((resolve) => (listening = resolve));
  const drained = (async () => {
    let buf = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        logs.push(line);
        const url = /"msg":"Cert exchange server listening on[^"]*".*"url":"([^"]+)"/.exec(line)?.[1];
        if (url) listening(url);
      }
    }
  })();
  const url = await Promise.race([
    up,
    child.status.then((s) => {
      throw new Error(`serve exited (${s.code}) before listening:\n${logs.join("\n")}`);
    }),
  ]);
  const caPem = await Deno.readTextFile(join(dataDir, "ca.crt"));
  let code: Promise<number> | undefined;
  const stop = () =>
    code ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const s = await child.status;
      await drained;
      return s.code;
    })();
  return {
    url,
    caPem,
    logs,
    async fetch(path, init = {}) {
      using client = Deno.createHttpClient({ caCerts: [caPem], http2: false });
      const res = await fetch(`${url}${path}`, { ...init, client });
      const body = await res.arrayBuffer();
      return new Response(res.status === 204 ? null : body, { status: res.status, headers: res.headers });
    },
    stop,
    [Symbol.asyncDispose]: async () => void await stop(),
  };
}
