/**
 * @module Open a URL in the user's browser: --browser-command, else $BROWSER, else the OS default (open, xdg-open,
 * rundll32, and on WSL the Windows browser). Starting it is fire-and-forget; a failure is the caller's warning.
 */

import { join } from "../shared/path.ts";
import { TalosOidcError } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";

type Env = Readonly<Record<string, string | undefined>>;
type Os = typeof Deno.build.os;

/** Where the opener looks; everything is injected so tests choose the platform. */
export interface BrowserPlatform {
  os: Os;
  env: Env;
  /** Running under Windows Subsystem for Linux; undefined: asked of the kernel when it matters (detectWsl). */
  wsl?: boolean;
  /** Whether an executable is on PATH (default: a PATH search). */
  hasCommand?: (name: string) => boolean;
}

/** A started browser. It does not keep the process alive unless someone waits for it. */
export interface OpenedBrowser {
  command: string;
  /** Wait for the command to exit; true when it exited successfully. */
  wait(): Promise<boolean>;
}

export interface BrowserOpener {
  /** @throws {TalosOidcError} ERR_IO when the command cannot be started at all. */
  open(url: string): Promise<OpenedBrowser>;
}

/**
 * WSL kernels name Microsoft in their release ("5.15.153.1-microsoft-standard-WSL2"; WSL 1 "4.4.0-19041-Microsoft").
 * Deno.osRelease needs --allow-sys, which the documented permissions give: /proc/version, read before, needs
 * --allow-all, so under them every WSL went unnoticed (and the read's refusal cost every kube token run).
 */
export function detectWsl(os: Os, release: () => string = () => Deno.osRelease()): boolean {
  if (os !== "linux") return false;
  try {
    return /microsoft|wsl/i.test(release());
  } catch {
    return false;
  }
}

/** No display and no way to open a browser: a Unix box without X11/Wayland, $BROWSER or --browser-command. */
export function isHeadless(p: BrowserPlatform, browserCommand?: string): boolean {
  if (p.os === "darwin" || p.os === "windows" || browserCommand || (p.wsl ?? detectWsl(p.os))) return false;
  return !p.env.DISPLAY && !p.env.WAYLAND_DISPLAY && !p.env.BROWSER;
}

/** Split a command line on blanks, honouring simple '…' and "…" quoting. */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** The argv that opens `url`; the URL is always exactly one argument (never through a shell, except cmd.exe). */
export function browserArgv(url: string, p: BrowserPlatform, browserCommand?: string): string[] {
  const has = p.hasCommand ?? ((name: string) => onPath(name, p.env, p.os));
  if (browserCommand) {
    return [...(isFile(browserCommand) ? [browserCommand] : splitCommandLine(browserCommand)), url];
  }
  const fromEnv = p.env.BROWSER?.split(p.os === "windows" ? ";" : ":").find((s) => s.trim() !== "");
  if (fromEnv) {
    const parts = splitCommandLine(fromEnv);
    return parts.some((a) => a.includes("%s")) ? parts.map((a) => a.replaceAll("%s", url)) : [...parts, url];
  }
  if (p.os === "darwin") return ["open", url];
  if (p.os === "windows") return ["rundll32", "url.dll,FileProtocolHandler", url];
  if (p.wsl ?? detectWsl(p.os)) {
    if (has("wslview")) return ["wslview", url];
    if (has("powershell.exe")) {
      return [
        "powershell.exe",
        "-NoProfile",
        "-NonInteractive",
        "-Command",
        `Start-Process '${url.replace(/'/g, "''")}'`,
      ];
    }
    return ["cmd.exe", "/c", "start", '""', url.replace(/[&^|<>]/g, "^$&")];
  }
  return ["xdg-open", url];
}

/** A real opener: spawns the command detached from our stdio and does not wait for it. */
export function createBrowserOpener(
  p: BrowserPlatform & { browserCommand?: string; logger: Logger; verbose?: boolean },
): BrowserOpener {
  return {
    open(url) {
      const [cmd, ...args] = browserArgv(url, p, p.browserCommand);
      let child: Deno.ChildProcess;
      try {
        child = new Deno.Command(cmd!, {
          args,
          stdin: "null",
          stdout: "null",
          stderr: p.verbose ? "inherit" : "null",
        }).spawn();
      } catch (err) {
        return Promise.reject(
          new TalosOidcError("ERR_IO", `starting the browser command "${cmd}" failed`, {
            cause: err,
            hint: "pass --browser-command, or open the URL yourself",
          }),
        );
      }
      p.logger.debug(`started the browser command "${cmd}"`);
      child.unref(); // a browser that stays open must not keep the CLI alive
      const status = child.status.then((s) => s.success, () => false);
      const wait = () => {
        child.ref();
        return status;
      };
      return Promise.resolve({ command: cmd!, wait });
    },
  };
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function onPath(name: string, env: Env, os: Os): boolean {
  const dirs = (env.PATH ?? env.Path ?? "").split(os === "windows" ? ";" : ":").filter(Boolean);
  return dirs.some((d) => isFile(join(d, name)));
}
