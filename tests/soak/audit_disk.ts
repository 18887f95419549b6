/**
 * @module The soak's audit log disk: a tmpfs (root) big enough for the run that fills up at once when shrunk to
 * what it holds (remount), and gets its space back when grown again. Without root: a plain directory, no fault.
 */

import { join } from "node:path";

export interface AuditDisk extends AsyncDisposable {
  path: string;
  mounted: boolean;
  fill(): Promise<void>;
  free(): Promise<void>;
}

const SIZE = "4g"; // a 10-minute run at 500/s writes ~0.5 GB of audit lines; tmpfs takes only what is written

async function sh(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { ok: r.success, out: (dec.decode(r.stdout) + dec.decode(r.stderr)).trim() };
}

export async function mountAuditDisk(): Promise<AuditDisk> {
  const path = await Deno.makeTempDir({ prefix: "soak-audit-" });
  const mount = await sh("mount", ["-t", "tmpfs", "-o", `size=${SIZE},mode=0700`, "tmpfs", path]);
  const remount = (size: string) => sh("mount", ["-o", `remount,size=${size}`, path]);
  const filler = join(path, ".filler");
  return {
    path,
    mounted: mount.ok,
    async fill() {
      // Shrink the file system to about the pages it uses. The log grows meanwhile, and a size under what is used is
      // refused (EINVAL): leave a margin, larger on each refusal.
      for (let margin = 256 * 1024;; margin *= 4) {
        const st = await sh("stat", ["-f", "-c", "%b %f %S", path]);
        const [blocks, free, size] = st.out.split(" ").map(Number) as [number, number, number];
        const r = await remount(String((blocks - free) * size + margin));
        if (r.ok) break;
        if (margin > 256 * 1024 * 1024) throw new Error(`shrinking the audit tmpfs failed: ${r.out}`);
      }
      // The margin goes to a filler file: the next page the log needs is not there (ENOSPC).
      const f = await Deno.open(filler, { write: true, create: true, append: true });
      try {
        for (;;) f.writeSync(new Uint8Array(4096));
      } catch {
        /* full */
      } finally {
        f.close();
      }
    },
    async free() {
      await Deno.remove(filler).catch(() => {});
      const r = await remount(SIZE);
      if (!r.ok) throw new Error(`growing the audit tmpfs failed: ${r.out}`);
    },
    async [Symbol.asyncDispose]() {
      if (mount.ok) await sh("umount", ["-l", path]);
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
