/** @module Read the client certificate of a talosconfig context: subject, Talos roles (Subject O) and validity. */

import { X509Certificate } from "node:crypto";
import type { Document } from "yaml";
import { TalosOidcError } from "../../shared/errors.ts";
import { getContext } from "./read.ts";

/** What status, doctor and login's "still valid" check need to know about a context's certificate. */
export interface ClientCertInfo {
  /** Subject DN, one `ATTR=value` per RDN joined with ", " (e.g. "O=os:admin, CN=alice"). */
  subject: string;
  /** Subject CN, when present (Talos's own certificates have none). */
  commonName?: string;
  /** Talos roles: the Subject O values, trimmed, empty ones skipped (as apid reads them). */
  roles: string[];
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
}

/**
 * Parse the first CERTIFICATE block of a PEM string.
 * @throws {TalosOidcError} ERR_TALOSCONFIG when there is none or it does not parse.
 */
export function parseClientCert(pem: string, where = "certificate"): ClientCertInfo {
  const block = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
  if (!block) throw new TalosOidcError("ERR_TALOSCONFIG", `reading the ${where}: no PEM CERTIFICATE block`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(block);
  } catch (err) {
    throw new TalosOidcError("ERR_TALOSCONFIG", `reading the ${where}: the certificate does not parse`, { cause: err });
  }
  const rdns = splitDn(cert.subject);
  const values = (attr: string) => rdns.filter(([k]) => k === attr).map(([, v]) => v);
  return {
    subject: rdns.map(([k, v]) => `${k}=${v}`).join(", "),
    commonName: values("CN")[0],
    roles: values("O").map((v) => v.trim()).filter((v) => v !== ""),
    issuer: splitDn(cert.issuer).map(([k, v]) => `${k}=${v}`).join(", "),
    notBefore: new Date(cert.validFromDate ?? cert.validFrom),
    notAfter: new Date(cert.validToDate ?? cert.validTo),
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
  };
}

/**
 * The client certificate (`crt`, base64 of PEM) of context `name`, or null when the context or its `crt` is missing.
 * @throws {TalosOidcError} ERR_TALOSCONFIG when `crt` is present but is not a certificate.
 */
export function readContextCert(doc: Document, name: string): ClientCertInfo | null {
  const crt = getContext(doc, name)?.crt;
  if (crt === undefined) return null;
  return parseClientCert(decodeBase64Pem(crt), `client certificate of context "${name}"`);
}

/** Decode a talosconfig `ca`/`crt`/`key` value (standard base64 of PEM) to the PEM text. */
export function decodeBase64Pem(value: string): string {
  const text = value.trim();
  if (text.startsWith("-----BEGIN ")) return text; // tolerate raw PEM written by hand
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(text.replace(/\s+/g, "")), (c) => c.charCodeAt(0)));
  } catch (err) {
    throw new TalosOidcError("ERR_TALOSCONFIG", "decoding a talosconfig certificate: not valid base64", { cause: err });
  }
}

/** Whether the certificate is still valid at `now` with at least `marginMs` left (no clock-skew tolerance in apid). */
export function certValidFor(info: ClientCertInfo, now: Date, marginMs = 0): boolean {
  return info.notBefore.getTime() <= now.getTime() && info.notAfter.getTime() - now.getTime() > marginMs;
}

/** node:crypto prints one `ATTR=value` per line. */
function splitDn(dn: string): [string, string][] {
  return dn.split("\n").filter((l) => l.includes("=")).map((l) => {
    const i = l.indexOf("=");
    return [l.slice(0, i), l.slice(i + 1)];
  });
}
