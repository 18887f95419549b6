/** @module Compile an RBAC rule's value into a matcher: exact, anchored glob, or anchored regex (RE2, linear time). */

import { RE2JS } from "re2js";

export type MatchMode = "exact" | "glob" | "regex";

/**
 * Claim values longer than this never match a glob or regex rule: it bounds the work an
 * attacker-chosen claim (a display name, say) can cause against an operator's pattern.
 */
export const MAX_PATTERN_SUBJECT_LENGTH = 1024;

/**
 * Build a matcher once, at startup. Regex rules run on RE2 (npm re2js, a pure-JS port of Go's regexp): matching
 * takes time linear in the claim, whatever the pattern, so an operator's `([a-z]+)+-admins` cannot stall the event
 * loop the way a backtracking engine does. RE2 has no backreferences or lookaround; such patterns are refused.
 * @throws {SyntaxError} when a regex does not compile or needs what RE2 lacks (the caller reports the rule index).
 */
export function compileMatcher(value: string, mode: MatchMode = "exact"): (candidate: string) => boolean {
  switch (mode) {
    case "exact":
      return (c) => c === value;
    case "glob":
      return (c) => c.length <= MAX_PATTERN_SUBJECT_LENGTH && globMatch(value, c);
    case "regex": {
      const re = compileRe2(value);
      return (c) => c.length <= MAX_PATTERN_SUBJECT_LENGTH && re.testExact(c);
    }
  }
}

function compileRe2(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^error parsing regexp: /, "") : String(err);
    throw new SyntaxError(
      `${why} (regex rules use RE2 syntax, which matches in linear time: no backreferences such as \\1, ` +
        "no lookahead or lookbehind such as (?= or (?<!)",
      { cause: err },
    );
  }
}

/**
 * Anchored glob: `*` any run of characters (including none), `?` exactly one character,
 * `\` escapes the next character; everything else is literal. Runs in O(pattern × text)
 * (classic two-pointer wildcard match with one back-track point), never exponential.
 */
export function globMatch(pattern: string, text: string): boolean {
  const p = tokenise(pattern);
  const t = [...text]; // compare code points, so `?` never matches half a surrogate pair
  let pi = 0, ti = 0, starP = -1, starT = 0;
  while (ti < t.length) {
    const tok = p[pi];
    if (tok !== undefined && (tok === ANY_ONE || (tok !== ANY_RUN && tok === t[ti]))) {
      pi++;
      ti++;
    } else if (tok === ANY_RUN) {
      starP = pi++;
      starT = ti;
    } else if (starP >= 0) {
      pi = starP + 1;
      ti = ++starT;
    } else {
      return false;
    }
  }
  while (p[pi] === ANY_RUN) pi++;
  return pi === p.length;
}

const ANY_RUN = Symbol("*");
const ANY_ONE = Symbol("?");
type GlobToken = string | typeof ANY_RUN | typeof ANY_ONE;

function tokenise(pattern: string): GlobToken[] {
  const out: GlobToken[] = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === "\\" && i + 1 < chars.length) out.push(chars[++i]!);
    else if (ch === "*") out.push(ANY_RUN);
    else if (ch === "?") out.push(ANY_ONE);
    else out.push(ch);
  }
  return out;
}
