/**
 * @module Run `main.ts` as a subprocess with the documented permissions and a temp HOME, plus scripted
 * "browsers" for `--browser-command`: the redirect-following walker, a counting walker, a relay to the test
 * process (e.g. a user who denies), and the zero browser that records that it was opened at all (tests then fail).
 *
 * As a script: `deno run -A tests/helpers/cli.ts browse <mode> [args...] <url>`.
 */

import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { PERMISSIONS } from "../../scripts/compile.ts";
import type { TestIdp } from "./idp.ts";
import { walkLogin } from "./browser_walker.ts";
import { tempDir } from "./temp_dir.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const SELF = fromFileUrl(import.meta.url);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The temp HOME (also XDG_CONFIG_HOME=<home>/.config). */
  home: string;
  env?: Record<string, string>;
}

/** A temp HOME, removed on dispose. */
export function makeHome(): Promise<{ path: string } & AsyncDisposable> {
  return tempDir("talosctl-oidc-home-");
}

/**
 * A clean environment for the CLI under test: a temp HOME, no keychain (unless asked), no colours, and the shared
 * Deno cache so subprocesses do not download anything.
 */
export function cliEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    TALOSCTL_OIDC_KEYCHAIN: "off",
    NO_COLOR: "1",
    RUST_BACKTRACE: "0",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? join(Deno.env.get("HOME") ?? "/root", ".cache", "deno"),
    ...extra,
  };
}

/** The argv that runs the CLI with `args` and the documented permissions (a terminal test runs it in tmux). */
export function cliArgv(args: string[]): string[] {
  return [Deno.execPath(), "run", ...PERMISSIONS, join(ROOT, "main.ts"), ...args];
}

function command(args: string[], o: CliOptions): Deno.Command {
  const [deno, ...argv] = cliArgv(args);
  return new Deno.Command(deno!, {
    args: argv,
    cwd: ROOT,
    clearEnv: true,
    env: cliEnv(o.home, o.env),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Run the CLI to completion. */
export async function runCli(args: string[], o: CliOptions): Promise<CliResult> {
  const out = await command(args, o).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** `talosctl-oidc audit verify PATH` run as an operator would: its exit code and everything it printed. */
export async function auditVerify(path: string): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), "audit", "verify", path],
    cwd: ROOT,
    env: { NO_COLOR: "1", RUST_BACKTRACE: "0" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** A running CLI whose stderr can be watched line by line (device flow: read the URL it prints). */
export interface RunningCli extends AsyncDisposable {
  /** Resolves with the first stderr match of `re`. */
  waitForStderr(re: RegExp): Promise<RegExpMatchArray>;
  /** Resolves when the process exits. */
  result: Promise<CliResult>;
  kill(signal?: Deno.Signal): void;
}

export function spawnCli(args: string[], o: CliOptions): RunningCli {
  const child = command(args, o).spawn();
  let stderr = "";
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = stderr.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  const errDone = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
      check();
    }
  })();
  const outDone = new Response(child.stdout).text();
  const result = (async () => {
    const [status, stdout] = await Promise.all([child.status, outDone, errDone]).then(([s, o]) => [s, o] as const);
    return { code: status.code, stdout, stderr };
  })();
  return {
    result,
    waitForStderr(re) {
      return new Promise((resolve, reject) => {
        waiters.push({ re, resolve });
        check();
        result.then(() => reject(new Error(`CLI exited before printing ${re}; stderr:\n${stderr}`)));
      });
    },
    kill(signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
    },
    async [Symbol.asyncDispose]() {
      this.kill();
      await result;
    },
  };
}

function quote(s: string): string {
  return `'${s}'`;
}

/**
 * `--browser-command` for a scripted browser. `caFile`: a PEM certificate the browser trusts too (`deno --cert`), for
 * an https:// callback served with a self-signed certificate.
 */
export function browserCommand(
  mode: "walk" | "zero" | "count",
  o: { user?: string; marker?: string; caFile?: string } = {},
): string {
  const rest = mode === "walk"
    ? [o.user ?? "alice"]
    : mode === "zero"
    ? [o.marker ?? "/dev/null"]
    : [o.marker ?? "/dev/null", o.user ?? "alice"];
  const trust = o.caFile ? ["--cert", o.caFile] : [];
  return [Deno.execPath(), "run", "-A", ...trust, SELF, "browse", mode, ...rest].map(quote).join(" ");
}

/**
 * Play a user who clicks "deny" at the test IdP: follow `authUrl` to the login page, finish that interaction
 * with access_denied (OIDC Core §3.1.2.6) in the IdP itself, and follow the IdP's redirect back to the client.
 * Returns the status of the last response (the loopback callback's).
 */
export async function denyLogin(idp: TestIdp, authUrl: string): Promise<number> {
  const cookies = new Map<string, string>();
  let url = new URL(authUrl);
  for (let hop = 0; hop < 20; hop++) {
    const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    await res.body?.cancel();
    const loc = res.headers.get("location");
    const uid = url.pathname.match(/^\/interaction\/([^/]+)$/)?.[1];
    if (loc) url = new URL(loc, url);
    else if (uid) url = new URL(await denyInteraction(idp, uid), url);
    else return res.status;
  }
  throw new Error("too many redirects");
}

async function denyInteraction(idp: TestIdp, uid: string): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const interaction: any = await (idp.provider as any).Interaction.find(uid);
  interaction.result = { error: "access_denied", error_description: "The user denied the request" };
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  return interaction.returnTo;
}

/**
 * Approve (or abort) a device login at the test IdP like a user would: open the verification URI, submit the
 * code, confirm, sign in. (walkDeviceLogin in browser_walker.ts reads hidden input values as empty, so the
 * IdP's xsrf check fails; this one parses them.) Returns the last page's text.
 */
export async function approveDeviceLogin(url: string, user = "alice", o: { abort?: boolean } = {}): Promise<string> {
  const cookies = new Map<string, string>();
  let next: { url: URL; body?: URLSearchParams } = { url: new URL(url) };
  for (let hop = 0; hop < 30; hop++) {
    const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(next.url, {
      method: next.body ? "POST" : "GET",
      body: next.body,
      redirect: "manual",
      headers: cookie ? { cookie } : {},
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    const loc = res.headers.get("location");
    if (loc) {
      await res.body?.cancel();
      next = { url: new URL(loc, next.url) };
      continue;
    }
    const html = await res.text();
    const form = html.match(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i);
    if (!form || next.body?.has("abort")) return html;
    const fields = new URLSearchParams();
    for (const m of form[2]!.matchAll(/<input\b[^>]*>/gi)) {
      const name = m[0].match(/name="([^"]*)"/)?.[1];
      if (name) fields.set(name, m[0].match(/value="([^"]*)"/)?.[1] ?? "");
    }
    if (fields.has("login")) {
      fields.set("login", user);
      fields.set("password", user);
    }
    if (fields.has("confirm") && o.abort) {
      fields.delete("confirm");
      fields.set("abort", "yes");
    }
    next = { url: new URL(form[1]!.replace(/&amp;/g, "&"), next.url), body: fields };
  }
  throw new Error("too many steps in the device login");
}

/**
 * A `--browser-command` that hands the URL to this test process, where `open(url)` plays the browser
 * (for browsers that need the in-process IdP, like denyLogin). The command returns when `open` is done.
 */
export function startBrowserRelay(open: (url: string) => Promise<unknown>): { command: string } & AsyncDisposable {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await open(await req.text());
    return new Response("ok");
  });
  const control = `http://127.0.0.1:${server.addr.port}/`;
  return {
    command: [Deno.execPath(), "run", "-A", SELF, "browse", "relay", control].map(quote).join(" "),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

if (import.meta.main) {
  const [verb, mode, ...rest] = Deno.args;
  const url = rest.at(-1)!;
  if (verb !== "browse" || !url) {
    console.error("usage: cli.ts browse <walk|zero|count|relay> [args...] <url>");
    Deno.exit(2);
  }
  if (mode === "zero") {
    await Deno.writeTextFile(rest[0]!, "zero browser was opened\n", { append: true });
    Deno.exit(1);
  }
  if (mode === "count") await Deno.writeTextFile(rest[0]!, "opened\n", { append: true });
  const status = mode === "relay"
    ? (await fetch(rest[0]!, { method: "POST", body: url })).status
    : (await walkLogin(url, rest.at(-2) ?? "alice")).status;
  Deno.exit(status < 500 ? 0 : 1);
}
