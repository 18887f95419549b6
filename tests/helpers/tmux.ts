/**
 * @module A real terminal for tests: the program runs in a tmux pane (a pty: isatty is true, Ctrl-C is a key that
 * the terminal turns into SIGINT for the foreground process), the test reads the screen and types keys.
 */

import { join } from "node:path";

export interface Terminal extends AsyncDisposable {
  /** What the pane shows now, scrollback included, wrapped lines joined. */
  screen(): Promise<string>;
  /** Wait until the screen matches `re` (polling); the screen so far is in the error when it does not. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Type keys as tmux names them: "C-c", "Enter", "y". */
  keys(...keys: string[]): Promise<void>;
  /** Wait for the program to exit and return its exit code (128 + n when signal n killed it). */
  exitCode(timeoutMs?: number): Promise<number>;
  /** True while the program runs. */
  running(): Promise<boolean>;
}

/** True when tmux is installed (scripts/setup.sh installs it). */
export function hasTmux(): boolean {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/** Run `argv` with exactly `env` in a new tmux server of its own, in a pane of `width` x `height`. */
export async function startTerminal(
  argv: string[],
  o: { env: Record<string, string>; cwd?: string; width?: number; height?: number },
): Promise<Terminal> {
  const dir = await Deno.makeTempDir({ prefix: "talosctl-oidc-tmux-" });
  const socket = join(dir, "socket");
  const conf = join(dir, "tmux.conf");
  const exitFile = join(dir, "exit-code");
  // The pane stays after the program exits so its exit status and last screen can be read.
  await Deno.writeTextFile(conf, "set -g remain-on-exit on\nset -g history-limit 10000\nset -g status off\n");
  const tmux = async (...args: string[]) => {
    const out = await new Deno.Command("tmux", { args: ["-S", socket, "-f", conf, ...args], stdin: "null" }).output();
    if (!out.success) throw new Error(`tmux ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
    return new TextDecoder().decode(out.stdout);
  };
  const env = Object.entries(o.env).map(([k, v]) => `${k}=${v}`);
  await tmux(
    "new-session",
    "-d",
    "-s",
    "t",
    "-x",
    String(o.width ?? 160),
    "-y",
    String(o.height ?? 50),
    ...(o.cwd ? ["-c", o.cwd] : []),
    "env",
    "-i",
    ...env,
    // bash records the exit code (tmux's pane_dead_status is sometimes never filled in); on Ctrl-C it waits for the
    // program, which gets the SIGINT too, and goes on when the program handled it and exited on its own.
    "bash",
    "-c",
    `"$@"; echo "$?" > ${exitFile}`,
    "bash",
    ...argv,
  );
  const pane = async () => (await tmux("display", "-p", "-t", "t", "#{pane_dead}")).trim();
  const screen = () => tmux("capture-pane", "-p", "-J", "-t", "t", "-S", "-");
  const until = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${await screen()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    screen,
    waitFor: (re, timeoutMs = 30_000) =>
      until(String(re), async () => {
        const s = await screen();
        return re.test(s) ? s : undefined;
      }, timeoutMs),
    keys: async (...keys) => void await tmux("send-keys", "-t", "t", ...keys),
    exitCode: (timeoutMs = 30_000) =>
      until("the program to exit", async () => {
        const text = await Deno.readTextFile(exitFile).catch(() => "");
        return text.endsWith("\n") ? Number(text) : undefined;
      }, timeoutMs),
    running: async () => (await pane()) === "0" && !(await Deno.stat(exitFile).then(() => true, () => false)),
    async [Symbol.asyncDispose]() {
      await tmux("kill-server").catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}
