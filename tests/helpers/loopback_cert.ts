/** @module Test-only: mint a self-signed loopback server certificate (like mkcert's) for the https:// callback. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";

export interface LoopbackCert {
  /** The certificate; a test trusts exactly it (`Deno.createHttpClient({ caCerts: [cert] })`, `deno --cert`). */
  cert: string;
  /** Its PKCS#8 ECDSA P-256 key. */
  key: string;
}

/**
 * A self-signed leaf for 127.0.0.1, ::1 and localhost. Not a CA (rustls refuses a CA certificate as a server's),
 * with the IP SANs a loopback URL needs.
 */
export async function mintLoopbackCert(o: { notAfter?: Date } = {}): Promise<LoopbackCert> {
  x509.cryptoProvider.set(crypto);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=talosctl-oidc test callback",
    notBefore: new Date(now - 60_000),
    notAfter: o.notAfter ?? new Date(now + 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "ip", value: "127.0.0.1" },
        { type: "ip", value: "::1" },
        { type: "dns", value: "localhost" },
      ]),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { cert: cert.toString("pem") + "\n", key: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") + "\n" };
}
