/**
 * @module The client's own key: an Ed25519 key pair made on this machine and a PKCS#10 CSR (RFC 2986) for it,
 * so the private key never travels. The key is written as Talos writes its keys: PKCS#8 under the
 * `ED25519 PRIVATE KEY` PEM label.
 */

import { X509Certificate } from "node:crypto";

export interface ClientKey {
  /** PEM `CERTIFICATE REQUEST`, self-signed with the key (proof of possession). */
  csrPem: string;
  /** PEM `ED25519 PRIVATE KEY` (PKCS#8 inside), for the talosconfig `key`. */
  keyPem: string;
  /** DER SubjectPublicKeyInfo, to check that the returned certificate is for this key. */
  spki: Uint8Array;
}

/** Subject of the CSR. The server ignores it: the roles and identity come only from the ID token. */
const CSR_SUBJECT = "CN=talosctl-oidc";

/** Generate an Ed25519 key pair (the leaf type of Talos's default Ed25519 CA) and its CSR. */
export async function generateClientKey(): Promise<ClientKey> {
  await import("reflect-metadata"); // @peculiar/x509 needs it loaded first; imported here, not at module load
  const x509 = await import("@peculiar/x509");
  x509.cryptoProvider.set(crypto);
  const alg = { name: "Ed25519" };
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: CSR_SUBJECT, keys, signingAlgorithm: alg });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  return {
    csrPem: csr.toString("pem"),
    keyPem: x509.PemConverter.encode(pkcs8, "ED25519 PRIVATE KEY"),
    spki,
  };
}

/** True when the first certificate in `certPem` certifies the public key `spki`. False for unparsable input. */
export function certMatchesKey(certPem: string, spki: Uint8Array): boolean {
  try {
    const der = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
    return der.length === spki.length && der.every((b, i) => b === spki[i]);
  } catch {
    return false;
  }
}
