/** @module Pure IP address and CIDR parsing, canonical formatting and set membership (IPv4, IPv6, v4-mapped). */

/**
 * An address as 16 bytes. IPv4 is stored IPv4-mapped (`::ffff:a.b.c.d`), so `10.0.0.1`
 * and `::ffff:10.0.0.1` are the same address everywhere (limiter keys, allowlist, audit).
 */
export interface IpAddress {
  readonly bytes: Uint8Array;
  /** True for IPv4 and IPv4-mapped IPv6. */
  readonly v4: boolean;
}

export interface Cidr {
  readonly base: IpAddress;
  /** Prefix length over the 16-byte form (an IPv4 /24 is 120). */
  readonly bits: number;
  /**
   * An IPv4 (or v4-mapped) network holds only IPv4 addresses; other networks hold only IPv6
   * ones, so `::/0` does not mean "everything".
   */
  readonly v4: boolean;
}

const V4_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Parse dotted-quad IPv4 (no leading zeros, which some stacks read as octal). */
function parseV4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

/** Parse IPv6 (with `::` compression and an optional dotted IPv4 tail). Zones (`%eth0`) are refused. */
function parseV6(text: string): number[] | undefined {
  if (text.includes("%") || text.length > 45) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const words = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const groups = s.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseV4(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 2 && halves[0]!.includes(".")) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const all = [...head, ...new Array(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}

/** Parse an IPv4 or IPv6 address (brackets allowed around IPv6). Undefined when it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  let s = text.trim();
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const v4 = parseV4(s);
  if (v4) return { bytes: Uint8Array.from([...V4_PREFIX, ...v4]), v4: true };
  const v6 = parseV6(s);
  if (!v6) return undefined;
  const bytes = Uint8Array.from(v6);
  return { bytes, v4: V4_PREFIX.every((b, i) => bytes[i] === b) };
}

/** Canonical text: dotted quad for IPv4 (and v4-mapped), RFC 5952 compressed lowercase for IPv6. */
function formatIp(ip: IpAddress): string {
  const b = ip.bytes;
  if (ip.v4) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const w = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestAt = -1, bestLen = 1; // RFC 5952 §4.2.2: never compress a single zero group
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(":");
  return `${hex.slice(0, bestAt).join(":")}::${hex.slice(bestAt + bestLen).join(":")}`;
}

/** Canonical text of an address, or undefined when `text` is not an IP address. */
export function normaliseIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : undefined;
}

/** Parse `ip/bits` or a bare IP (a /32 or /128). Host bits are masked off, as Go's ParseCIDR does. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, bitsText, extra] = text.trim().split("/");
  if (extra !== undefined || addr === undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const max = ip.v4 && !addr.includes(":") ? 32 : 128;
  if (bitsText !== undefined && !/^(0|[1-9]\d{0,2})$/.test(bitsText)) return undefined;
  const n = bitsText === undefined ? max : Number(bitsText);
  if (n > max) return undefined;
  const bits = max === 32 ? 96 + n : n;
  const base = mask(ip.bytes, bits);
  return { base: { bytes: base, v4: ip.v4 }, bits, v4: bits >= 96 && V4_PREFIX.every((b, i) => base[i] === b) };
}

function mask(bytes: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    out[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** True when `ip` lies inside `cidr`. */
function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.v4 !== ip.v4) return false;
  const m = mask(ip.bytes, cidr.bits);
  return m.every((b, i) => b === cidr.base.bytes[i]);
}

/** A fixed set of IPs and CIDRs, compiled once. */
export interface IpSet {
  readonly size: number;
  /** True when the address (text or parsed) is in the set; unparseable text is never in it. */
  has(ip: string | IpAddress): boolean;
}

/**
 * Compile IP/CIDR entries (blank ones skipped).
 * @throws {RangeError} naming every invalid entry and `what` (e.g. "trusted_proxies").
 */
export function compileIpSet(entries: readonly string[], what: string): IpSet {
  const cidrs: Cidr[] = [];
  const bad: string[] = [];
  for (const e of entries) {
    if (e.trim() === "") continue;
    const c = parseCidr(e);
    if (c) cidrs.push(c);
    else bad.push(`"${e}"`);
  }
  if (bad.length) throw new RangeError(`${what}: not an IP address or CIDR: ${bad.join(", ")}`);
  return Object.freeze({
    size: cidrs.length,
    has(ip: string | IpAddress): boolean {
      const a = typeof ip === "string" ? parseIp(ip) : ip;
      return a !== undefined && cidrs.some((c) => cidrContains(c, a));
    },
  });
}

/**
 * The key a per-client limit should count under: an IPv4 address as is, an IPv6 address by its
 * /64 (one subscriber usually holds a whole /64, so counting single IPv6 addresses would let one
 * client rotate through 2^64 of them). Text that is not an address is returned unchanged.
 */
export function clientKey(text: string): string {
  const ip = parseIp(text);
  if (!ip || ip.v4) return ip ? formatIp(ip) : text;
  const net = new Uint8Array(16);
  net.set(ip.bytes.subarray(0, 8));
  return `${formatIp({ bytes: net, v4: false })}/64`;
}
