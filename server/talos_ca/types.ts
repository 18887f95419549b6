/** @module Contract of certificate issuance: what the exchange route needs from an issuing backend (local CA or Talos API). */

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
  /** The CA PEM the certificate chains to, returned to the client as `ca`. */
  caPem: string;
  /** Lowercase hex serial number. */
  serial: string;
  /** Lowercase hex SHA-256 of the certificate DER. */
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
}

/** Where certificates come from: the OS CA key held by this server, or Talos's own API (the server holds no CA). */
export type IssuerBackend = "local_ca" | "talos_api";

/**
 * Issues short-lived Talos client certificates; both backends implement it. `issue` throws TalosOidcError:
 * - ERR_NO_ROLES when no issuable role is left (os:impersonator is never issued);
 * - local_ca: ERR_INVALID_CSR for a bad CSR, ERR_CA when the CA is no longer valid now,
 *   ERR_CERT_ISSUE when signing fails;
 * - talos_api: ERR_TALOS_API when the Talos API cannot be reached, refuses, or answers something unexpected;
 * and RangeError for a `now` or `ttlMs` that makes no sense (a programmer error). A backend that cannot honour a CSR
 * (talos_api: Talos makes the key) ignores it and returns `keyPem`.
 */
export interface CertIssuer {
  readonly backend: IssuerBackend;
  /** The CA PEM certificates chain to, once known: local_ca from the start, talos_api after its first certificate. */
  caPem(): string | undefined;
  issue(req: IssueRequest): Promise<IssuedCert>;
  /** For /readyz: local_ca is always ready; talos_api makes a cheap authenticated call, cached a few seconds. */
  ready(): Promise<boolean>;
  /** Release connections (talos_api's gRPC channels). */
  close(): void;
}
