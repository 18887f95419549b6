/** @module A small real tmpfs (mounted as root) that tests fill up and free again: a disk that really runs full. */

import { join } from "node:path";

export interface Tmpfs extends AsyncDisposable {
  /** The mount point (mode 0700). */
  path: string;
  /** Write a filler file until the file system answers ENOSPC; returns the bytes it took. */
  fill(): Promise<number>;
  /** Remove the filler: the space comes back. */
  free(): Promise<void>;
}

/**
 * Mount a tmpfs of `bytes` (rounded up to 4 KiB pages by the kernel) on a fresh directory. Needs root (CI and these
 * machines run tests as root); anywhere else it throws saying so rather than pretending a disk was full.
 */
export async function mountTmpfs(bytes: number): Promise<Tmpfs> {
  const path = await Deno.makeTempDir({ prefix: "tmpfs-" });
  const out = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${bytes},mode=0700`, "tmpfs", path],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    await Deno.remove(path);
    throw new Error(`mounting a tmpfs needs root: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  const filler = join(path, ".filler");
  const fill = async () => {
    const f = await Deno.open(filler, { write: true, create: true, append: true });
    const chunk = new Uint8Array(4096);
    let total = 0;
    try {
      for (;;) total += f.writeSync(chunk);
    } catch (err) {
      if (!(err instanceof Error && /No space left|os error 28/.test(err.message))) throw err;
    } finally {
      f.close();
    }
    return total;
  };
  return {
    path,
    fill,
    free: () => Deno.remove(filler).catch(() => {}),
    async [Symbol.asyncDispose]() {
      await new Deno.Command("umount", { args: ["-l", path], stdout: "null", stderr: "null" }).output();
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
