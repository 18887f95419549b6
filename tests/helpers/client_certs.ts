/** @module Test-only: mint a throwaway CA and a Talos-style client certificate (roles in Subject O) as PEM. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { ContextCredentials } from "../../client/types.ts";

export interface TestCertOptions {
  roles?: string[];
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
}

/** A CA certificate, a client certificate signed by it and the client's PKCS#8 key, all PEM. */
export async function mintTestCredentials(
  options: TestCertOptions = {},
): Promise<Pick<ContextCredentials, "ca" | "crt" | "key">> {
  x509.cryptoProvider.set(crypto);
  const alg = { name: "Ed25519" };
  const caKeys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: "O=talos",
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_650 * 86_400_000),
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const leafKeys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const rdns = (options.roles ?? ["os:admin"]).map((r) => `O=${r}`);
  if (options.commonName) rdns.push(`CN=${options.commonName}`);
  const crt = await x509.X509CertificateGenerator.create({
    subject: rdns.join(", "),
    issuer: ca.subjectName.toString(),
    notBefore: options.notBefore ?? new Date(now),
    notAfter: options.notAfter ?? new Date(now + 3_600_000),
    signingKey: caKeys.privateKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: alg,
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", leafKeys.privateKey));
  const key = x509.PemConverter.encode(pkcs8.buffer, "ED25519 PRIVATE KEY");
  return { ca: ca.toString("pem"), crt: crt.toString("pem"), key };
}
