/** @module Distribution test support: a fake GitHub release server, temp dirs, a clean-env process runner. */

export interface FakeRelease extends AsyncDisposable {
  /** Base URL to pass as TALOSCTL_OIDC_RELEASE_URL. */
  url: string;
  /** Paths requested so far, in order. */
  requests: string[];
}

/**
 * Serve `assets` as release `tag` on 127.0.0.1. `/latest/download/<asset>` answers with a 302 to the tagged
 * URL, as github.com does, so the installer's redirect handling is exercised too.
 */
export function serveFakeRelease(tag: string, assets: Record<string, Uint8Array | string>): FakeRelease {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    requests.push(path);
    const latest = path.match(/^\/latest\/download\/([^/]+)$/);
    if (latest) return Response.redirect(new URL(`/download/${tag}/${latest[1]}`, req.url), 302);
    const m = path.match(/^\/download\/([^/]+)\/([^/]+)$/);
    const body = m && m[1] === tag ? assets[m[2]!] : undefined;
    if (body === undefined) return new Response("Not Found\n", { status: 404 });
    return new Response(typeof body === "string" ? new TextEncoder().encode(body) : new Uint8Array(body), {
      headers: { "content-type": "application/octet-stream" },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** Lowercase hex SHA-256, as in checksums.txt. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(bytes));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A temp dir removed on dispose. */
export async function tempDir(prefix = "talosctl-oidc-test-"): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Run a program with a clean environment; returns exit code and both streams as text. */
export async function runProgram(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; stdin?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: opts.env !== undefined,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
