/** @module The Go peer for the benches: built from tests/bench/go_peer/main.go into a temp dir, started as a child. */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SOURCE = fileURLToPath(new URL("./go_peer/main.go", import.meta.url));

/** `go build` the peer into `dir` (its own GOCACHE there: HOME may be odd); resolves with the binary's path. */
export async function buildGoPeer(dir: string): Promise<string> {
  const bin = join(dir, "go_peer");
  const out = await new Deno.Command("go", {
    args: ["build", "-o", bin, SOURCE],
    env: { GOCACHE: join(dir, "gocache"), GOFLAGS: "", GOPATH: join(dir, "gopath") },
    stdout: "piped",
    stderr: "piped",
  }).output().catch((err) => {
    if (err instanceof Deno.errors.NotFound) throw new Error("go is not installed: run scripts/setup.sh test");
    throw err;
  });
  if (!out.success) throw new Error(`go build failed: ${new TextDecoder().decode(out.stderr)}`);
  return bin;
}

export interface GoPeerOptions {
  issuer: string;
  clientId: string;
  /** Talos CA certificate and key PEM files (the key in any PKCS#8 label). */
  caCert: string;
  caKey: string;
  audit: string;
  /** Where the peer's stderr goes (a file, not a pipe: Go dies of SIGPIPE writing to a closed stderr). */
  log: string;
  /** Server certificate and key PEM files for TLS; plain HTTP without them. */
  tls?: { cert: string; key: string };
}

export interface GoPeer extends AsyncDisposable {
  url: string;
  child: Deno.ChildProcess;
}

/** Start the peer on a free loopback port and wait for its `listening on URL` line. */
export async function startGoPeer(bin: string, o: GoPeerOptions): Promise<GoPeer> {
  const args = ["-listen", "127.0.0.1:0", "-issuer", o.issuer, "-client-id", o.clientId, "-ca-cert", o.caCert];
  args.push("-ca-key", o.caKey, "-audit", o.audit);
  if (o.tls) args.push("-tls-cert", o.tls.cert, "-tls-key", o.tls.key);
  const child = new Deno.Command("sh", {
    args: ["-c", 'exec "$0" "$@" 2>"$LOG"', bin, ...args],
    env: { LOG: o.log },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    while (!/listening on (\S+)\n/.test(seen)) {
      const { value, done } = await reader.read();
      if (done) {
        const err = await Deno.readTextFile(o.log).catch(() => "");
        throw new Error(`the Go peer did not start: ${seen}${err}`);
      }
      seen += value;
    }
  } finally {
    clearTimeout(timer);
  }
  void (async () => { // keep draining: it prints nothing more, but a closed pipe would kill it
    while (!(await reader.read().catch(() => ({ done: true }))).done);
  })();
  const url = seen.match(/listening on (\S+)\n/)![1]!;
  return {
    url,
    child,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
