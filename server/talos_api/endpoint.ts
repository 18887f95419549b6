/** @module Talos API endpoints (`host`, `host:port`, `[v6]:port`; port 50000 by default) and apid's server identity. */

import { isIP } from "node:net";
import { checkServerIdentity, type PeerCertificate } from "node:tls";

/** apid's port when an endpoint names none (as talosctl). */
const DEFAULT_APID_PORT = 50000;

export interface TalosEndpoint {
  /** As configured, for messages. */
  text: string;
  /** Host name or IP address, without brackets. */
  host: string;
  port: number;
  /** The gRPC target: `host:port`, or `[v6]:port`. */
  target: string;
}

/** Parse one `endpoints` entry; undefined when it is not a host with an optional port. */
export function parseEndpoint(text: string): TalosEndpoint | undefined {
  const t = text.trim();
  let host: string, port: string | undefined;
  const bracketed = t.match(/^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/);
  if (bracketed) [host, port] = [bracketed[1]!, bracketed[2]];
  else if (isIP(t) === 6) host = t; // a bare IPv6 address: every colon belongs to it
  else {
    const m = t.match(/^([A-Za-z0-9.-]+)(?::(\d+))?$/);
    if (!m) return undefined;
    [host, port] = [m[1]!, m[2]];
  }
  const n = port === undefined ? DEFAULT_APID_PORT : Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535 || host === "") return undefined;
  const v6 = isIP(host) === 6;
  return { text: t, host, port: n, target: `${v6 ? `[${host}]` : host}:${n}` };
}

/**
 * TLS server name to send. Deno refuses an IP address as `servername`, and Talos endpoints are usually IPs, so for
 * those a fixed non-IP name is sent (apid does not route on SNI) and serverIdentity() checks the IP SANs instead.
 */
export function serverNameFor(endpoint: TalosEndpoint): string | undefined {
  return isIP(endpoint.host) === 0 ? undefined : "talos-apid";
}

/**
 * `checkServerIdentity` for the endpoint: the certificate must name the host we dialled: for an IP, an IP SAN equal
 * to it (Node's rules, as Go's crypto/tls: no CN fallback). Returns an Error to refuse, undefined to accept.
 */
export function serverIdentity(endpoint: TalosEndpoint): (name: string, cert: PeerCertificate) => Error | undefined {
  return (_name, cert) => checkServerIdentity(endpoint.host, cert);
}
