/**
 * @module Syntax errors in source text, from tree-sitter grammars compiled to WebAssembly (npm), for the languages
 * whose own tools cannot run here: PowerShell (completion script, Windows keychain) and C# (its Add-Type source).
 * Parsing is not running, but a quoting slip or an unbalanced block shows up as an ERROR or MISSING node.
 */

import { Language, type Node, Parser } from "web-tree-sitter";

const GRAMMARS = {
  powershell: "tree-sitter-powershell/tree-sitter-powershell.wasm",
  csharp: "tree-sitter-c-sharp/tree-sitter-c_sharp.wasm",
} as const;

let init: Promise<void> | undefined;
const loaded = new Map<string, Promise<Language>>();

async function language(grammar: keyof typeof GRAMMARS): Promise<Language> {
  let lang = loaded.get(grammar);
  if (!lang) {
    const file = new URL(`../../node_modules/${GRAMMARS[grammar]}`, import.meta.url);
    lang = Deno.readFile(file).then((bytes) => Language.load(bytes));
    loaded.set(grammar, lang);
  }
  return await lang;
}

/** Every syntax error in `source` as "line:column text"; empty when it parses cleanly. */
export async function syntaxErrors(grammar: keyof typeof GRAMMARS, source: string): Promise<string[]> {
  await (init ??= Parser.init()); // before any Parser or Language is made
  const parser = new Parser();
  try {
    parser.setLanguage(await language(grammar));
    const tree = parser.parse(source);
    if (!tree) return ["the parser gave no tree"];
    const errors: string[] = [];
    const walk = (n: Node) => {
      if (n.isError || n.isMissing) errors.push(`${n.startPosition.row + 1}:${n.startPosition.column + 1} ${n.text}`);
      for (const c of n.children) if (c) walk(c);
    };
    walk(tree.rootNode);
    tree.delete();
    return errors;
  } finally {
    parser.delete();
  }
}
