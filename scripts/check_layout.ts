/**
 * @module Repo rule check: server/ and client/ never import each other; Deno.env/args/exit only where
 * allowed; every file opens with a `@module` line and stays within 300 lines; production code imports no test-only
 * file; an export is used by some other file (a type may instead be named by another export of its file).
 */

import { join, relative } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
/** Files allowed to touch process globals: the entrypoint and config loaders. */
const PROCESS_GLOBALS_OK = [/^main\.ts$/, /config(_loader)?\.ts$/, /^tests\//, /^scripts\//, /_test\.tsx?$/];
/** What the binary is built from (scripts/build_info.ts SOURCE_PATHS). */
const PRODUCTION = /^(main\.ts$|shared\/|server\/|client\/)/;
const MAX_LINES = 300;
/** An exported declaration: its kind and name. */
const EXPORT =
  /^export\s+(?:declare\s+)?(?:async\s+)?(function\*?|class|const|let|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm;

const isTestOnly = (rel: string) =>
  /_test\.tsx?$/.test(rel) || rel.startsWith("tests/") || /(^|\/)testdata\//.test(rel);

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name === "node_modules" || e.name.startsWith(".") || e.name === "dist") continue;
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walk(p);
    else if (/\.tsx?$/.test(e.name)) yield p;
  }
}

const files = new Map<string, string>();
for await (const file of walk(ROOT)) files.set(relative(ROOT, file), await Deno.readTextFile(file));

const problems: string[] = [];
for (const [rel, text] of files) {
  const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);
  for (const spec of imports) {
    if (!spec.startsWith(".")) continue;
    const target = relative(ROOT, join(ROOT, rel, "..", spec));
    if (rel.startsWith("server/") && target.startsWith("client/")) problems.push(`${rel}: server/ imports ${target}`);
    if (rel.startsWith("client/") && target.startsWith("server/")) problems.push(`${rel}: client/ imports ${target}`);
    if (rel.startsWith("shared/") && /^(server|client)\//.test(target)) {
      problems.push(`${rel}: shared/ imports ${target}`);
    }
    if (PRODUCTION.test(rel) && !isTestOnly(rel) && isTestOnly(target)) {
      problems.push(`${rel}: production code imports the test-only ${target} (move what it needs out of tests)`);
    }
  }
  if (!PROCESS_GLOBALS_OK.some((re) => re.test(rel)) && /\bDeno\.(env|args|exit)\b/.test(text)) {
    problems.push(`${rel}: uses Deno.env, Deno.args or Deno.exit (only main.ts and config loaders may)`);
  }
  // The first comment (after a shebang) names the file's job.
  if (!/^(#![^\n]*\n)?\/\*\*(?:(?!\*\/)[\s\S])*@module/.test(text)) {
    problems.push(`${rel}: does not open with a /** @module ... */ comment saying what the file is for`);
  }
  const lines = text.endsWith("\n") ? text.split("\n").length - 1 : text.split("\n").length;
  if (lines > MAX_LINES) problems.push(`${rel}: ${lines} lines (at most ${MAX_LINES}: split it by job)`);
}
problems.push(...exportsUsedNowhereElse());

/**
 * An export whose name no other file mentions is private in all but name: drop `export` (or the code). A type may
 * stay exported when another export of its file names it (an exported function's options or result type), so a
 * caller can write it down. Tests count as users, so a helper exported for its test is fine. Matched by name, so it
 * can miss, never misfire.
 */
function exportsUsedNowhereElse(): string[] {
  const filesMentioning = new Map<string, number>();
  for (const text of files.values()) {
    for (const word of new Set(text.match(/[A-Za-z_$][\w$]*/g))) {
      filesMentioning.set(word, (filesMentioning.get(word) ?? 0) + 1);
    }
  }
  const out: string[] = [];
  for (const [rel, text] of files) {
    if (isTestOnly(rel)) continue;
    const surface = exportedSurface(text);
    for (const m of text.matchAll(EXPORT)) {
      const [kind, name] = [m[1]!, m[2]!];
      if ((filesMentioning.get(name) ?? 0) >= 2) continue;
      const named = new RegExp(`\\b${name.replaceAll("$", "\\$")}\\b`);
      if (/^(interface|type|enum)$/.test(kind) && surface.some((s) => s.name !== name && named.test(s.text))) continue;
      out.push(`${rel}: exports "${name}" but no other file uses it (remove \`export\`, or the code if unused)`);
    }
  }
  return out;
}

/** Each export's public text: a function's signature (up to its body), a type, class or constant whole. */
function exportedSurface(text: string): { name: string; text: string }[] {
  const lines = text.split("\n");
  const out: { name: string; text: string }[] = [];
  for (const [i, line] of lines.entries()) {
    const m = line.match(new RegExp(EXPORT.source));
    if (!m) continue;
    const end = m[1]!.startsWith("function") ? /\{\s*$/ : /^(type|const|let)$/.test(m[1]!) ? /;\s*$/ : /^\}/;
    let j = i;
    while (j < lines.length - 1 && !end.test(lines[j]!)) j++;
    out.push({ name: m[2]!, text: lines.slice(i, j + 1).join("\n") });
  }
  return out;
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  Deno.exit(1);
}
console.log("layout ok");
