/**
 * @module join, dirname and isAbsolute as node:path has them (posix, and win32 on Windows), without node:path.
 *
 * Importing any node: builtin starts Deno's node compatibility layer, several milliseconds on every run; the token
 * cache, its lock and the config paths are on the path of `kube token`, which kubectl runs for each of its commands.
 * These are ports of node's own algorithms (lib/path.js); path_test.ts checks them against node:path.posix and
 * node:path.win32 on the same inputs.
 */

/** One platform's path rules. */
export interface PathFlavor {
  /** Join the non-empty segments with the separator and normalize (`.` and `..` resolved, separators collapsed). */
  join(...segments: string[]): string;
  /** The directory part of `path` (trailing separators ignored), `.` when there is none. */
  dirname(path: string): string;
  /** Whether `path` starts at a root (`/`; on Windows also `\`, `C:\`, `\\server\share`). */
  isAbsolute(path: string): boolean;
}

const isSlash = (c: string | undefined) => c === "/";
const isWinSep = (c: string | undefined) => c === "/" || c === "\\";

/** Resolve `.` and `..` in a root-less path (node's normalizeString); `..` above the start kept unless `absolute`. */
function normalizeTail(path: string, absolute: boolean, separators: RegExp, sep: string): string {
  const out: string[] = [];
  for (const part of path.split(separators)) {
    if (part === "" || part === ".") continue;
    if (part !== "..") out.push(part);
    else if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (!absolute) out.push("..");
  }
  return out.join(sep);
}

/** Paths as on Linux and macOS. */
export const posix: PathFlavor = {
  join(...segments) {
    const joined = segments.filter((s) => s.length > 0).join("/");
    return joined === "" ? "." : normalizePosix(joined);
  },
  dirname(path) {
    if (path.length === 0) return ".";
    const hasRoot = isSlash(path[0]);
    let end = -1;
    let matchedSlash = true;
    for (let i = path.length - 1; i >= 1; --i) {
      if (isSlash(path[i])) {
        if (!matchedSlash) {
          end = i;
          break;
        }
      } else matchedSlash = false;
    }
    if (end === -1) return hasRoot ? "/" : ".";
    if (hasRoot && end === 1) return "//";
    return path.slice(0, end);
  },
  isAbsolute: (path) => isSlash(path[0]),
};

function normalizePosix(path: string): string {
  const absolute = isSlash(path[0]);
  let tail = normalizeTail(path, absolute, /\//, "/");
  if (tail.length === 0 && !absolute) tail = ".";
  if (tail.length > 0 && isSlash(path[path.length - 1])) tail += "/";
  return absolute ? `/${tail}` : tail;
}

/** A drive letter followed by a colon: `C:`. */
const isDrive = (path: string) => /^[A-Za-z]:/.test(path);

/**
 * The root of a Windows path: `\\server\share` (UNC), `C:` (drive), or a lone separator; `end` is where the rest
 * starts. `whole` is set when the path is a UNC root and nothing else.
 */
function winRoot(path: string): { device?: string; absolute: boolean; end: number; whole?: boolean } {
  if (path.length === 0) return { absolute: false, end: 0 };
  if (isWinSep(path[0])) {
    if (!isWinSep(path[1])) return { absolute: true, end: 1 };
    let j = 2;
    let last = j;
    while (j < path.length && !isWinSep(path[j])) j++;
    if (j < path.length && j !== last) {
      const server = path.slice(last, j);
      last = j;
      while (j < path.length && isWinSep(path[j])) j++;
      if (j < path.length && j !== last) {
        last = j;
        while (j < path.length && !isWinSep(path[j])) j++;
        if (j === path.length) {
          return { device: `\\\\${server}\\${path.slice(last)}`, absolute: true, end: j, whole: true };
        }
        if (j !== last) return { device: `\\\\${server}\\${path.slice(last, j)}`, absolute: true, end: j };
      }
    }
    return { absolute: true, end: 1 };
  }
  if (isDrive(path)) {
    const absolute = isWinSep(path[2]);
    return { device: path.slice(0, 2), absolute, end: absolute ? 3 : 2 };
  }
  return { absolute: false, end: 0 };
}

function normalizeWin(path: string): string {
  if (path.length === 0) return ".";
  if (path.length === 1) return isWinSep(path) ? "\\" : path;
  const root = winRoot(path);
  if (root.whole) return `${root.device}\\`;
  let tail = root.end < path.length ? normalizeTail(path.slice(root.end), root.absolute, /[\\/]/, "\\") : "";
  if (tail.length === 0 && !root.absolute) tail = ".";
  if (tail.length > 0 && isWinSep(path[path.length - 1])) tail += "\\";
  // A relative result must not read as a drive (`C:`) or as a stream name ending a segment (`a\C:\`): node prefixes
  // `.\` (nodejs/node#56766), so joining untrusted segments never lands on another drive.
  if (!root.absolute && root.device === undefined && (isDrive(tail) || /:(?:[\\/]|$)/.test(path))) {
    return `.\\${tail}`;
  }
  if (root.device === undefined) return root.absolute ? `\\${tail}` : tail;
  return root.absolute ? `${root.device}\\${tail}` : `${root.device}${tail}`;
}

/** Paths as on Windows: `\` and `/` both separate; drive letters and UNC shares are roots. */
export const win32: PathFlavor = {
  join(...segments) {
    const parts = segments.filter((s) => s.length > 0);
    if (parts.length === 0) return ".";
    const first = parts[0]!;
    let joined = parts.join("\\");
    // A leading `\\` would read as a UNC root; only the first segment itself may make one (node does the same).
    const unc = isWinSep(first[0]) && isWinSep(first[1]) && first.length > 2 && !isWinSep(first[2]);
    if (!unc) {
      let n = 0;
      while (n < joined.length && isWinSep(joined[n])) n++;
      if (n >= 2) joined = `\\${joined.slice(n)}`;
    }
    return normalizeWin(joined);
  },
  dirname(path) {
    if (path.length === 0) return ".";
    if (path.length === 1) return isWinSep(path) ? path : ".";
    const root = winRoot(path);
    if (root.whole) return path;
    const rootEnd = root.device?.startsWith("\\\\") ? root.end + 1 : root.end === 0 ? -1 : root.end;
    const offset = Math.max(rootEnd, 0);
    let end = -1;
    let matchedSlash = true;
    for (let i = path.length - 1; i >= offset; --i) {
      if (isWinSep(path[i])) {
        if (!matchedSlash) {
          end = i;
          break;
        }
      } else matchedSlash = false;
    }
    if (end === -1) {
      if (rootEnd === -1) return ".";
      end = rootEnd;
    }
    return path.slice(0, end);
  },
  isAbsolute: (path) => isWinSep(path[0]) || (isDrive(path) && isWinSep(path[2])),
};

/** The rules of the platform this runs on (node:path's default export). */
function host(): PathFlavor {
  return Deno.build.os === "windows" ? win32 : posix;
}

/** node:path `join` for this platform. */
export function join(...segments: string[]): string {
  return host().join(...segments);
}

/** node:path `dirname` for this platform. */
export function dirname(path: string): string {
  return host().dirname(path);
}

/** node:path `isAbsolute` for this platform. */
export function isAbsolute(path: string): boolean {
  return host().isAbsolute(path);
}
