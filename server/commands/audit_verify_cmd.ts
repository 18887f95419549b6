/** @module `talosctl-oidc audit verify FILE`: check an audit log's hash chain and name the first broken line. */

import { defineCommand, defineSpec, EXIT, OUTPUT_FLAG, outputFormat, usageError } from "../../shared/cli.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { explainAuditChain } from "./audit_verify.ts";

const HEX64 = /^[0-9a-fA-F]{64}$/;

const spec = defineSpec({
  name: "audit",
  usage: "talosctl-oidc audit verify FILE [--start-hash HEX] [--expect-hash HEX] [--output text|json]",
  description: `
Every audit line carries prev_hash (the hash of the line before) and hash (SHA-256 over prev_hash
and the line). verify recomputes the chain and reports the first line that does not fit: edited
(content changed), deleted (the line it continues is gone), reordered, or truncated (cut mid-line,
or --expect-hash missing). Exit 0 when intact, 1 when broken.
--start-hash: the last hash of the previous (rotated) file, so removing lines at the start shows.
--expect-hash: a hash recorded earlier (audit_head in /admin/stats, or the "audit log opened"
log line), so removing lines at the end shows. Without anchors, someone who can rewrite the whole
file can rebuild a consistent chain: keep anchors somewhere else.`,
  flags: [
    { name: "start-hash", type: "string", arg: "HEX", description: "hash the first line must continue" },
    { name: "expect-hash", type: "string", arg: "HEX", description: "a hash the file must still contain" },
    OUTPUT_FLAG,
  ],
  examples: [
    "talosctl-oidc audit verify /var/lib/talosctl-oidc/audit.log",
    "talosctl-oidc audit verify audit.log --start-hash 3f9a...",
  ],
});

/** The `audit` command (subcommand `verify`). */
export const auditCommand = defineCommand(spec, async (ctx, { values, positionals }) => {
  if (positionals[0] !== "verify" || positionals.length !== 2) throw usage("expected: audit verify FILE");
  const startHash = hexFlag(values["start-hash"], "--start-hash");
  const expectHash = hexFlag(values["expect-hash"], "--expect-hash");
  const output = outputFormat(values.output, "audit");
  const path = positionals[1]!;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new TalosOidcError("ERR_IO", `reading audit log "${path}" failed`, { cause: err });
  }
  const v = explainAuditChain(text, { startHash, expectHash });
  if (output === "json") ctx.stdio.stdout(JSON.stringify(v) + "\n");
  else if (v.ok) {
    ctx.stdio.stdout(`OK: ${v.lines} lines, chain intact\n`);
    if (v.lines > 0) ctx.stdio.stdout(`first prev_hash: ${v.firstPrevHash}\nlast hash:       ${v.lastHash}\n`);
  } else {
    const f = v.first!;
    ctx.stdio.stdout(`BROKEN: line ${f.line}: ${f.kind}: ${f.why}\n`);
    const more = v.problems.filter((p) => p.line !== f.line).length;
    if (more > 0) ctx.stdio.stdout(`(${more} more problem line${more === 1 ? "" : "s"} after it)\n`);
  }
  return v.ok ? EXIT.OK : EXIT.FAILURE;
});

function usage(msg: string): TalosOidcError {
  return usageError("audit", msg);
}

function hexFlag(v: string | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (!HEX64.test(v)) throw usage(`${name} must be 64 hex characters (a SHA-256)`);
  return v.toLowerCase();
}
