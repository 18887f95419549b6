/** @module Contract of certificate issuance: what the exchange route needs from server/talos_ca. */

export type CaKeyType = "ed25519" | "ecdsa-p256" | "ecdsa-p384" | "rsa";

/** A loaded Talos OS CA (certificate + matching private key). */
export interface TalosCa {
  /** The CA certificate PEM, returned to clients as `ca`. */
  certPem: string;
  keyType: CaKeyType;
  /** Lowercase hex SHA-256 of the CA certificate DER. */
  fingerprint: string;
  subject: string;
  notAfter: Date;
}

export interface IssueRequest {
  /** Talos roles; the issuer sorts them, drops empties and never issues os:impersonator. */
  roles: string[];
  /** Subject CN: the user's email or sub. */
  commonName: string;
  /** Lifetime from `now` (NotBefore is backdated ~60 s for clock skew). */
  ttlMs: number;
  now: Date;
  /** Optional PEM PKCS#10 CSR: sign its public key (subject ignored), return no key. */
  csrPem?: string;
}

export interface IssuedCert {
  certPem: string;
  /** PEM private key labelled `ED25519 PRIVATE KEY` (or the CA's key family); absent for CSRs. */
  keyPem?: string;
  /** Lowercase hex serial number. */
  serial: string;
  /** Lowercase hex SHA-256 of the certificate DER. */
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Signs short-lived Talos client certificates.
 * `issue` throws TalosOidcError ERR_INVALID_CSR for a bad CSR, ERR_CERT_ISSUE for signing failures.
 */
export interface CertIssuer {
  ca: TalosCa;
  issue(req: IssueRequest): Promise<IssuedCert>;
}
