/** @module Test helper: read an oci-archive (index → manifest → config, layer listing) with real tar. */

import { join } from "node:path";
import { runProgram } from "./support.ts";

export interface LayerEntry {
  /** Path without a leading "./"; directories end without "/". */
  path: string;
  /** First character of `tar -tv` mode: "-" file, "d" dir, "l" symlink, "c"/"b"/"p"/"s" special. */
  type: string;
  /** Permission bits, e.g. 0o755. */
  mode: number;
  uid: number;
  gid: number;
}

export interface OciImage {
  config: { architecture: string; os: string; config?: { Labels?: Record<string, string> } };
  /** Paths of the layer blobs (gzip tarballs) inside `dir`. */
  layers: string[];
  dir: string;
}

async function tar(args: string[]): Promise<string> {
  const r = await runProgram("tar", args);
  if (r.code !== 0) throw new Error(`tar ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

function blob(dir: string, digest: string): string {
  return join(dir, "blobs", ...digest.split(":"));
}

/** Unpack an oci-archive into `dir` and read its single manifest. */
export async function openOciArchive(archive: string, dir: string): Promise<OciImage> {
  await tar(["-xf", archive, "-C", dir]);
  const index = JSON.parse(await Deno.readTextFile(join(dir, "index.json")));
  if (index.manifests.length !== 1) throw new Error(`expected one manifest, got ${index.manifests.length}`);
  const manifest = JSON.parse(await Deno.readTextFile(blob(dir, index.manifests[0].digest)));
  const config = JSON.parse(await Deno.readTextFile(blob(dir, manifest.config.digest)));
  return { config, layers: manifest.layers.map((l: { digest: string }) => blob(dir, l.digest)), dir };
}

function parseMode(s: string): number {
  let bits = 0;
  for (const [i, c] of [...s.slice(1, 10)].entries()) if (c !== "-") bits |= 1 << (8 - i);
  return bits;
}

/** `tar -tv` of a gzip layer, parsed. */
export async function listLayer(layer: string): Promise<LayerEntry[]> {
  const out = await tar(["--numeric-owner", "-tvzf", layer]);
  return out.split("\n").filter(Boolean).map((line) => {
    const [mode, owner, , , , ...rest] = line.split(/\s+/);
    const [uid, gid] = owner!.split("/").map(Number);
    const path = rest.join(" ").replace(/ -> .*$/, "").replace(/^\.\//, "").replace(/\/$/, "");
    return { path, type: mode![0]!, mode: parseMode(mode!), uid: uid!, gid: gid! };
  }).filter((e) => e.path !== "" && e.path !== ".");
}

/** Extract a gzip layer into `dir` (as root this keeps owners and modes). */
export async function extractLayer(layer: string, dir: string): Promise<void> {
  await tar(["--numeric-owner", "-xzf", layer, "-C", dir]);
}
