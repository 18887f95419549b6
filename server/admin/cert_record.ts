/** @module The CertRecord JSON shape (the original tool's names plus serial), built from cert_issued events. */

import type { AuditEvent } from "../audit/types.ts";
import { displayText, MAX_SHOWN_IDENTITY } from "../identity.ts";

/** One issued certificate, as /admin/certs returns it and data_dir/certs.jsonl stores it. */
export interface CertRecord {
  subject: string;
  email: string;
  /** RFC 3339 UTC. */
  issued_at: string;
  /** RFC 3339 UTC (the original printed local time; UTC is unambiguous). */
  expires_at: string;
  client_ip: string;
  roles: string[];
  /** Go duration string, e.g. "5m0s". */
  ttl: string;
  /** Lowercase hex SHA-256 of the certificate DER. */
  fingerprint: string;
  /** Lowercase hex serial number. */
  serial: string;
}

/** The record for a `cert_issued` audit event, or undefined for any other event or one without an expiry. */
export function recordFromEvent(e: AuditEvent & { timestamp: string }): CertRecord | undefined {
  if (e.type !== "cert_issued" || !e.cert_expiry || Number.isNaN(Date.parse(e.cert_expiry))) return undefined;
  return {
    subject: e.subject ?? "",
    email: e.email ?? "",
    issued_at: e.timestamp,
    expires_at: new Date(e.cert_expiry).toISOString(),
    client_ip: e.client_ip ?? "",
    roles: [...(e.roles ?? [])],
    ttl: e.cert_ttl ?? "",
    fingerprint: e.cert_fingerprint ?? "",
    serial: e.cert_serial ?? "",
  };
}

/** A parsed certs.jsonl line, or undefined when it is not a well-formed record. */
export function parseRecord(line: string): CertRecord | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const s = (k: string) => (typeof v[k] === "string" ? v[k] as string : undefined);
  const issued = s("issued_at"), expires = s("expires_at");
  if (!issued || !expires || Number.isNaN(Date.parse(issued)) || Number.isNaN(Date.parse(expires))) return undefined;
  const roles = Array.isArray(v.roles) ? v.roles.filter((r): r is string => typeof r === "string") : [];
  return {
    // Records written before identities were cleaned may still hold bidi or control characters.
    subject: displayText(s("subject") ?? "", MAX_SHOWN_IDENTITY),
    email: displayText(s("email") ?? "", MAX_SHOWN_IDENTITY),
    issued_at: issued,
    expires_at: expires,
    client_ip: s("client_ip") ?? "",
    roles,
    ttl: s("ttl") ?? "",
    fingerprint: s("fingerprint") ?? "",
    serial: s("serial") ?? "",
  };
}
