/** @module Benchmark: the cost of one RBAC regex match on RE2 (npm re2js) against the built-in RegExp, same run. */

import { RE2JS } from "re2js";
import { compileRbac } from "../../server/rbac/rbac.ts";
import { rate } from "./measure.ts";
import type { BenchContext, BenchRow, BenchSection } from "./types.ts";

const ROUNDS = 4;

/** Patterns operators write, with claims that match and claims that do not (groups of realistic length). */
const CASES: { pattern: string; claims: string[] }[] = [
  { pattern: "team-(sre|platform)", claims: ["team-sre", "team-platform", "team-platform-old", "devs"] },
  { pattern: "talos-[a-z]+-admins", claims: ["talos-prod-admins", "talos-prod-readers", "x".repeat(36)] },
  {
    pattern: "[a-z0-9._%+-]+@example\\.com",
    claims: ["alice@example.com", "mallory@example.com.evil.example", "bob@example.org"],
  },
];

/** Matches per second of `test` over every case's claims, `seconds` long. */
async function matchesPerSecond(seconds: number, test: (p: number, claim: string) => boolean): Promise<number> {
  const flat = CASES.flatMap((c, p) => c.claims.map((claim) => [p, claim] as const));
  let sink = 0;
  const perSecond = await rate(seconds, (i) => {
    const [p, claim] = flat[i % flat.length]!;
    if (test(p, claim)) sink++;
  });
  if (sink < 0) throw new Error("unreachable");
  return perSecond;
}

/** Per-match cost of re2js testExact and of an anchored RegExp, alternated ROUNDS times; medians compared. */
export async function run(ctx: BenchContext): Promise<BenchSection[]> {
  const re2 = CASES.map((c) => RE2JS.compile(c.pattern));
  const native = CASES.map((c) => new RegExp(`^(?:${c.pattern})$`, "u"));
  for (const [i, c] of CASES.entries()) {
    for (const claim of c.claims) {
      if (re2[i]!.testExact(claim) !== native[i]!.test(claim)) throw new Error(`engines disagree on ${c.pattern}`);
    }
  }
  const seconds = Math.max(0.5, Math.min(2, ctx.budgetSeconds / (ROUNDS * 3)));
  const a: number[] = [], b: number[] = [], m: number[] = [];
  const mapper = compileRbac(
    CASES.map((c, i) => ({ claim: "groups", value: c.pattern, match: "regex", roles: [i ? "os:reader" : "os:admin"] })),
    { defaultRoles: [] },
  );
  const groups = ["devs", "talos-prod-readers", "eng-all", "vpn-users", "team-platform-old", "backup-ops"];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(await matchesPerSecond(seconds, (p, claim) => re2[p]!.testExact(claim)));
    b.push(await matchesPerSecond(seconds, (p, claim) => native[p]!.test(claim)));
    m.push(await rate(seconds, () => mapper.map({ sub: "alice", groups }, "https://idp.example.com")));
    ctx.log(`round ${r + 1}: re2js ${a.at(-1)!.toFixed(0)}/s, RegExp ${b.at(-1)!.toFixed(0)}/s`);
  }
  const re2Ns = 1e9 / median(a), nativeNs = 1e9 / median(b);
  const evil = RE2JS.compile("([a-z]+)+-admins");
  const start = performance.now();
  for (let i = 0; i < 1000; i++) evil.testExact("a".repeat(36));
  const evilUs = (performance.now() - start) * 1000 / 1000;
  const rows: BenchRow[] = [
    {
      name: "regex rule match, re2js testExact",
      value: re2Ns,
      unit: "ns/match",
      baseline: "built-in RegExp ^(?:p)$ (backtracking), same claims",
      baselineValue: nativeNs,
      ratio: re2Ns / nativeNs,
      note: "lower is better; median of 4 alternated rounds",
    },
    {
      name: "RBAC map(): 3 regex rules × 6 groups, re2js",
      value: 1e6 / median(m),
      unit: "µs/token",
      note: "once per exchange; one /exchange costs ~210 µs of server CPU (see the exchange section)",
    },
    {
      name: "([a-z]+)+-admins against 36 × 'a', re2js",
      value: evilUs,
      unit: "µs/match",
      baseline: "built-in RegExp, as measured before re2js",
      baselineValue: 19.8e6,
      note:
        `the catastrophic (exponentially backtracking) pattern, ${(19.8e6 / evilUs).toExponential(1)}× less time; ` +
        "RegExp is not rerun (20 s of CPU)",
    },
  ];
  return [{
    title: "RBAC regex rules: RE2 (re2js) against RegExp",
    rows,
    notes: [
      "Regex rules run on re2js (a pure-JS port of Go's RE2): linear in the claim whatever the pattern. The price is a " +
      "slower match on benign patterns than V8's irregexp, paid once per rule per group value on each exchange.",
    ],
  }];
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}
