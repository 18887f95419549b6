/** @module A real redis-server (Debian package) for tests: its own temp dir and a free loopback port, stopped and restarted at will. */

export interface TestRedis extends AsyncDisposable {
  port: number;
  /** redis://127.0.0.1:<port>/0 */
  url: string;
  /** Stop the server (SIGTERM) and wait for it to exit: clients see the store lost. */
  stop(): Promise<void>;
  /** Start it again on the same port (empty: no persistence). */
  start(): Promise<void>;
  /** Run redis-cli against it; resolves with its output. */
  cli(...args: string[]): Promise<string>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Start redis-server (needs the redis-server package: scripts/setup.sh test installs it). */
export async function startTestRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const dir = await Deno.makeTempDir({ prefix: "test-redis-" });
  const port = freePort();
  let child: Deno.ChildProcess | undefined;
  const start = async () => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
    if (options.password) args.push("--requirepass", options.password);
    try {
      child = new Deno.Command("redis-server", { args, stdout: "piped", stderr: "piped", stdin: "null" }).spawn();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new Error("redis-server is not installed: run scripts/setup.sh test (apt-get install redis-server)");
      }
      throw err;
    }
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("Ready to accept connections")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`redis-server did not start: ${seen}`);
      seen += value;
    }
    void (async () => { // keep draining its output
      while (!(await reader.read().catch(() => ({ done: true }))).done);
    })();
    void child.stderr.cancel();
  };
  const stop = async () => {
    if (!child) return;
    child.kill("SIGTERM");
    await child.status;
    child = undefined;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    stop,
    start,
    async cli(...args) {
      const auth = options.password ? ["-a", options.password, "--no-auth-warning"] : [];
      const out = await new Deno.Command("redis-cli", { args: ["-p", String(port), ...auth, ...args] }).output();
      return new TextDecoder().decode(out.stdout).trim();
    },
    async [Symbol.asyncDispose]() {
      await stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
