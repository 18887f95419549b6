/** @module A temporary directory for one test, removed with all it holds when the test's `await using` ends. */

/** Make the directory (under the system temp dir, named `prefix` + random). */
export async function tempDir(prefix = "talosctl-oidc-test-"): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
