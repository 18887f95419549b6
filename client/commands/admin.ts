/**
 * @module `talosctl-oidc admin block|unblock|blocks`: the server's block list from scripts, over its admin API
 * (/admin/blocks, bearer admin_token). The token comes from TALOSCTL_OIDC_ADMIN_TOKEN or a 0600 file, never argv.
 */

import {
  defineCommand,
  defineSpec,
  EXIT,
  OUTPUT_FLAG,
  outputFormat,
  requireFlags,
  usageError,
} from "../../shared/cli.ts";
import { parseDuration } from "../../shared/duration.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { isLoopbackHost } from "../../shared/issuer.ts";
import { readCapped } from "../../shared/read_capped.ts";
import { serverCaFlag, serverFlag } from "../flags.ts";
import { MAX_ANSWER_BYTES, pinnedFetch } from "../pinned_fetch.ts";

const spec = defineSpec({
  name: "admin",
  usage: "talosctl-oidc admin block (--subject SUB | --email EMAIL) --reason TEXT [--until TIME|DURATION]\n" +
    "       talosctl-oidc admin unblock ID\n" +
    "       talosctl-oidc admin blocks [-o json]",
  description: `
Cut someone off now: a blocked identity gets 403 ERR_BLOCKED at /exchange on every worker and replica within a
second (its certificates already issued stay valid until they expire: cert_ttl). Every change is in the audit log.
--subject is the ID token's sub, --email its email (matched case-insensitively); give either or both. --until ends
the block by itself: an RFC 3339 time or a duration from now (90m, 12h, 30d).
The admin token is read from TALOSCTL_OIDC_ADMIN_TOKEN or --token-file (a file only you may read), never from argv.
Needs --server (TALOSCTL_OIDC_SERVER); --server-ca trusts only that CA. Exit 0 done, 1 refused, 2 bad flags.`,
  flags: [
    serverFlag("the exchange server's base URL"),
    serverCaFlag("PEM CA trusted (only) for the server"),
    { name: "token-file", type: "string", arg: "PATH", description: "file holding the admin token (mode 0600)" },
    { name: "subject", type: "string", arg: "SUB", description: "block: the ID token's sub" },
    { name: "email", type: "string", arg: "EMAIL", description: "block: the ID token's email" },
    { name: "reason", type: "string", arg: "TEXT", description: "block: why (audited, shown on the dashboard)" },
    {
      name: "until",
      type: "string",
      arg: "WHEN",
      description: "block: end it at this RFC 3339 time, or after this long",
    },
    OUTPUT_FLAG,
  ],
  examples: [
    'TALOSCTL_OIDC_ADMIN_TOKEN=... talosctl-oidc admin block --server https://talos-oidc:8443 --email bob@example.com --reason "left the company"',
    "talosctl-oidc admin blocks --server https://talos-oidc:8443 --token-file ~/.config/talosctl-oidc/admin-token -o json",
    "talosctl-oidc admin unblock --server https://talos-oidc:8443 Zk3x9QaB1c2d",
  ],
  maxPositionals: 2,
});

type Block = { id: string; subject?: string; email?: string; reason: string; created_at: string; until?: string };

export const adminCommand = defineCommand(spec, async (ctx, { values, positionals }) => {
  const [sub, id] = positionals;
  if (sub !== "block" && sub !== "unblock" && sub !== "blocks") {
    throw usageError("admin", "expected a subcommand: block, unblock or blocks");
  }
  if ((sub === "unblock") !== (id !== undefined)) {
    throw usageError("admin", sub === "unblock" ? "unblock takes the block's ID" : `unexpected argument "${id}"`);
  }
  const output = outputFormat(values.output, "admin");
  const { server } = requireFlags(spec, values, ["server"]);
  const token = await adminToken(ctx.env.TALOSCTL_OIDC_ADMIN_TOKEN, values["token-file"]);
  const call = await caller(server, values["server-ca"], token);
  const print = (text: string, json: unknown) =>
    ctx.stdio.stdout(output === "json" ? `${JSON.stringify(json)}\n` : text);
  if (sub === "blocks") {
    const { blocks } = await call("GET", "/admin/blocks") as { blocks: Block[] };
    print(blocks.length === 0 ? "nobody is blocked\n" : blocks.map(line).join(""), blocks);
  } else if (sub === "unblock") {
    const { removed } = await call("DELETE", `/admin/blocks/${encodeURIComponent(id!)}`) as { removed: Block };
    print(`unblocked ${line(removed)}`, removed);
  } else {
    if (!values.subject && !values.email) throw usageError("admin", "block needs --subject or --email (or both)");
    const { reason } = requireFlags(spec, values, ["reason"]);
    const body = {
      ...(values.subject ? { subject: values.subject } : {}),
      ...(values.email ? { email: values.email } : {}),
      reason,
      ...(values.until ? { until: untilTime(values.until, Date.now()) } : {}),
    };
    const { block } = await call("POST", "/admin/blocks", body) as { block: Block };
    print(`blocked ${line(block)}`, block);
  }
  return EXIT.OK;
});

function line(b: Block): string {
  const who = [b.subject && `sub ${b.subject}`, b.email && `email ${b.email}`].filter(Boolean).join(", ");
  return `${b.id}  ${who}  "${b.reason}"  since ${b.created_at}${b.until ? ` until ${b.until}` : ""}\n`;
}

/** An RFC 3339 time as is, or a duration (Go units, plus `d` for days) from `now`. */
function untilTime(text: string, now: number): string {
  const days = /^(\d+)d$/.exec(text);
  try {
    const ms = days ? Number(days[1]) * 86_400_000 : parseDuration(text);
    return new Date(now + ms).toISOString();
  } catch {
    if (!Number.isNaN(Date.parse(text)) && /^\d{4}-\d\d-\d\dT/.test(text)) return new Date(text).toISOString();
    throw usageError("admin", `--until "${text}" is neither an RFC 3339 time nor a duration such as 12h or 30d`);
  }
}

/** The admin token: the environment variable, else the file (refused when group or others may read it). */
async function adminToken(fromEnv: string | undefined, file: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv.trim();
  if (!file) {
    throw new TalosOidcError("ERR_USAGE", "admin: no admin token", {
      hint: "set TALOSCTL_OIDC_ADMIN_TOKEN, or pass --token-file PATH (a file only you may read)",
    });
  }
  const st = await Deno.stat(file).catch((err) => {
    throw new TalosOidcError("ERR_USAGE", `admin: cannot read --token-file "${file}"`, { cause: err });
  });
  if (st.mode !== null && (st.mode & 0o077) !== 0) {
    throw new TalosOidcError("ERR_USAGE", `admin: --token-file "${file}" may be read by others`, {
      hint: `run: chmod 600 "${file}"`,
    });
  }
  return (await Deno.readTextFile(file)).trim();
}

/** A JSON caller for the admin API: https (pinned with --server-ca), or http on loopback only (the token is sent). */
async function caller(server: string, caPath: string | undefined, token: string) {
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw usageError("admin", `invalid --server URL "${server}"`);
  }
  if (base.protocol !== "https:" && !(base.protocol === "http:" && isLoopbackHost(base.hostname))) {
    throw usageError("admin", `refusing "${server}": the admin token only goes over https:// (or http:// on loopback)`);
  }
  const pinned = caPath ? pinnedFetch(await Deno.readTextFile(caPath)) : undefined;
  return async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const url = new URL(path, base);
    const init = {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    };
    const res = pinned && url.protocol === "https:" ? await pinned(url, init) : await fetch(url, init);
    const text = new TextDecoder().decode(
      await readCapped(res.body, MAX_ANSWER_BYTES, res.headers.get("content-length")),
    );
    let json: { error?: string; code?: string } | undefined;
    try {
      json = JSON.parse(text);
    } catch { /* below */ }
    if (res.ok && json) return json;
    throw new TalosOidcError("ERR_EXCHANGE", `the server refused: ${json?.error ?? `HTTP ${res.status}`}`, {
      fields: { status: res.status, ...(json?.code ? { serverCode: json.code } : {}) },
      ...(res.status === 401 || res.status === 403 ? { hint: "check the admin token (the server's admin_token)" } : {}),
    });
  };
}
