/** @module Repo rule check: server/ and client/ never import each other; Deno.env/args/exit only where allowed. */

import { join, relative } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
/** Files allowed to touch process globals: the entrypoint and config loaders. */
const PROCESS_GLOBALS_OK = [/^main\.ts$/, /config(_loader)?\.ts$/, /^tests\//, /^scripts\//, /_test\.tsx?$/];

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name === "node_modules" || e.name.startsWith(".") || e.name === "dist") continue;
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walk(p);
    else if (/\.tsx?$/.test(e.name)) yield p;
  }
}

const problems: string[] = [];
for await (const file of walk(ROOT)) {
  const rel = relative(ROOT, file);
  const text = await Deno.readTextFile(file);
  const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);
  for (const spec of imports) {
    if (!spec.startsWith(".")) continue;
    const target = relative(ROOT, join(file, "..", spec));
    if (rel.startsWith("server/") && target.startsWith("client/")) problems.push(`${rel}: server/ imports ${target}`);
    if (rel.startsWith("client/") && target.startsWith("server/")) problems.push(`${rel}: client/ imports ${target}`);
    if (rel.startsWith("shared/") && /^(server|client)\//.test(target)) {
      problems.push(`${rel}: shared/ imports ${target}`);
    }
  }
  if (!PROCESS_GLOBALS_OK.some((re) => re.test(rel)) && /\bDeno\.(env|args|exit)\b/.test(text)) {
    problems.push(`${rel}: uses Deno.env, Deno.args or Deno.exit (only main.ts and config loaders may)`);
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  Deno.exit(1);
}
console.log("layout ok");
