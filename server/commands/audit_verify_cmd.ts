/** @module `talosctl-oidc audit verify|head FILE`: check an audit log's hash chain, or print its head to ship elsewhere. */

import { defineCommand, defineSpec, EXIT, OUTPUT_FLAG, outputFormat, usageError } from "../../shared/cli.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { readAuditKey } from "../audit/hmac_key.ts";
import { explainAuditChain } from "./audit_verify.ts";
import { chainHead } from "./audit_head.ts";

const HEX64 = /^[0-9a-fA-F]{64}$/;

const spec = defineSpec({
  name: "audit",
  usage: "talosctl-oidc audit verify FILE [--hmac-key-file PATH] [--from-hash HEX] [--expect-hash HEX] [-o json]\n" +
    "       talosctl-oidc audit head FILE [-o json]",
  description: `
Every audit line carries prev_hash (the hash of the line before) and hash (SHA-256 over prev_hash
and the line; HMAC-SHA-256 when the server has audit_hmac_key_file). verify recomputes the chain and
reports the first line that does not fit: edited (content changed), deleted (the line it continues
is gone, or the first line does not start from the genesis hash), reordered, or truncated (cut
mid-line, or --expect-hash missing). Exit 0 when intact, 1 when broken.
--hmac-key-file: the server's audit_hmac_key_file; without the key nobody can rebuild a valid chain.
--from-hash: the last hash of the previous (rotated) file, which the first line must continue
(default: the genesis hash, 64 zeros; --start-hash is the older name).
--expect-hash: a hash recorded earlier (audit head, audit_head in /admin/stats, or the "audit log
opened" log line), so removing lines at the end shows.
head prints the hash of the last line: ship it off the host (syslog, a ticket, another machine) now
and then, and check later with verify --expect-hash.`,
  flags: [
    {
      name: "hmac-key-file",
      type: "string",
      env: "TALOSCTL_OIDC_AUDIT_HMAC_KEY_FILE",
      arg: "PATH",
      description: "the chain's HMAC key (0600, >= 32 bytes), as serve reads it",
    },
    { name: "from-hash", type: "string", arg: "HEX", description: "hash the first line must continue" },
    { name: "start-hash", type: "string", arg: "HEX", description: "older name of --from-hash" },
    { name: "expect-hash", type: "string", arg: "HEX", description: "a hash the file must still contain" },
    OUTPUT_FLAG,
  ],
  examples: [
    "talosctl-oidc audit verify /var/log/talosctl-oidc/audit.log --hmac-key-file /etc/talosctl-oidc/audit.key",
    "talosctl-oidc audit verify audit.log.1 --from-hash 3f9a... --expect-hash 77c0...",
    "talosctl-oidc audit head /var/log/talosctl-oidc/audit.log | logger -t talosctl-oidc-audit-head",
  ],
});

/** The `audit` command (subcommands `verify` and `head`). */
export const auditCommand = defineCommand(spec, async (ctx, { values, positionals }) => {
  const sub = positionals[0];
  if ((sub !== "verify" && sub !== "head") || positionals.length !== 2) {
    throw usage("expected: audit verify FILE, or audit head FILE");
  }
  const output = outputFormat(values.output, "audit");
  const path = positionals[1]!;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new TalosOidcError("ERR_IO", `reading audit log "${path}" failed`, { cause: err });
  }
  if (sub === "head") {
    const head = chainHead(text);
    if (!head) throw new TalosOidcError("ERR_AUDIT", `audit log "${path}" has no chained line to take a head from`);
    ctx.stdio.stdout(output === "json" ? JSON.stringify(head) + "\n" : `${head.hash}\n`);
    return EXIT.OK;
  }
  const from = values["from-hash"] ?? values["start-hash"];
  const startHash = hexFlag(from, values["from-hash"] ? "--from-hash" : "--start-hash");
  const expectHash = hexFlag(values["expect-hash"], "--expect-hash");
  const keyFile = values["hmac-key-file"];
  const key = keyFile ? await readAuditKey(keyFile) : undefined;
  const v = explainAuditChain(text, {
    ...(startHash ? { startHash } : {}),
    ...(expectHash ? { expectHash } : {}),
    key,
  });
  if (output === "json") ctx.stdio.stdout(JSON.stringify(v) + "\n");
  else if (v.ok) {
    ctx.stdio.stdout(`OK: ${v.lines} lines, chain intact${key ? " (HMAC)" : ""}\n`);
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
