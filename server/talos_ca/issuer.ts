/** @module Sign short-lived Talos client certificates from a precomputed DER template (fast path, no x509 library). */

import { createHash, randomBytes } from "node:crypto";
import { isTalosOidcError, TalosOidcError } from "../../shared/errors.ts";
import { issuableRoles } from "./issue_request.ts";
import { buildCertificate, createCertTemplate } from "./cert_template.ts";
import { csrPublicKey } from "./csr.ts";
import { toHex } from "./der.ts";
import { generateLeafKey, leafKeyTypeFor } from "./leaf_key.ts";
import type { LoadedCa } from "./load.ts";
import { subjectNode } from "./name.ts";
import { toPem } from "./pem.ts";
import type { CertIssuer, IssuedCert, IssueRequest } from "./types.ts";

export interface CertIssuerOptions {
  /** NotBefore = now − backdateMs, so that a client whose clock runs behind can use the cert (apid has no skew). */
  backdateMs?: number;
}

const MAX_BACKDATE_MS = 60 * 60_000;

/**
 * A CertIssuer for `ca`. Each certificate: Subject O per role (normalised, os:impersonator never), then CN;
 * issuer = CA subject bytes; fresh key (see leafKeyTypeFor) or the CSR's key; 126-bit random serial;
 * KeyUsage digitalSignature; ExtKeyUsage [clientAuth]; CA false; AKI = the CA's key id.
 * NotAfter is capped at the CA's own NotAfter.
 */
export function createCertIssuer(ca: LoadedCa, options: CertIssuerOptions = {}): CertIssuer {
  const backdateMs = options.backdateMs ?? 60_000;
  if (!Number.isFinite(backdateMs) || backdateMs < 0 || backdateMs > MAX_BACKDATE_MS) {
    throw new RangeError(`backdateMs must be between 0 and ${MAX_BACKDATE_MS}, got ${backdateMs}`);
  }
  const template = createCertTemplate(ca);
  const leafType = leafKeyTypeFor(ca.keyType);
  const caNotAfter = Math.floor(ca.notAfter.getTime() / 1000) * 1000;

  function issueSync(req: IssueRequest): IssuedCert {
    const now = req.now.getTime();
    if (!Number.isFinite(now)) throw new RangeError("now is not a valid date");
    const roles = issuableRoles(req);
    const subject = subjectNode(roles, req.commonName);
    const spkiAndKey = req.csrPem === undefined ? generateLeafKey(leafType) : { spki: csrPublicKey(req.csrPem) };
    const notBefore = new Date(Math.floor((now - backdateMs) / 1000) * 1000);
    const notAfter = new Date(Math.min(Math.floor((now + req.ttlMs) / 1000) * 1000, caNotAfter));
    if (notAfter.getTime() <= now) {
      throw new TalosOidcError("ERR_CA", "issuing a certificate: the CA expires before the certificate would", {
        hint: "rotate the Talos OS CA",
      });
    }
    const serial = randomSerial();
    let der: Uint8Array;
    try {
      der = buildCertificate(template, { serial, notBefore, notAfter, subject, spki: spkiAndKey.spki });
    } catch (err) {
      throw new TalosOidcError("ERR_CERT_ISSUE", "signing the certificate failed", { cause: err });
    }
    return {
      certPem: toPem("CERTIFICATE", der),
      caPem: ca.certPem,
      ...("keyPem" in spkiAndKey ? { keyPem: spkiAndKey.keyPem } : {}),
      serial: toHex(serial),
      fingerprint: createHash("sha256").update(der).digest("hex"),
      notBefore,
      notAfter,
    };
  }

  return {
    backend: "local_ca",
    caPem: () => ca.certPem,
    ready: () => Promise.resolve(true),
    close: () => {},
    issue(req: IssueRequest): Promise<IssuedCert> {
      try {
        return Promise.resolve(issueSync(req));
      } catch (err) {
        if (isTalosOidcError(err) || err instanceof RangeError) return Promise.reject(err);
        return Promise.reject(new TalosOidcError("ERR_CERT_ISSUE", "issuing a certificate failed", { cause: err }));
      }
    },
  };
}

/**
 * 16 random bytes as a positive, minimal DER INTEGER: top bit cleared (positive) and the next one set
 * (never a leading zero byte), so 126 random bits and always 32 hex digits. RFC 5280 §4.1.2.2 allows ≤ 20 octets.
 */
function randomSerial(): Uint8Array {
  const b = new Uint8Array(randomBytes(16));
  b[0] = (b[0]! & 0x3f) | 0x40;
  return b;
}
