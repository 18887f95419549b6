/** @module A provided TLS key pair (tls_cert/tls_key, e.g. from cert-manager): load, validate, detect changes. */

import { TalosOidcError } from "../../shared/errors.ts";
import { certFacts, keyMatchesCert, type PemPair } from "./self_signed.ts";

export interface ProvidedTls {
  pair: PemPair;
  /** `certSize/certMtime/keySize/keyMtime`: changes when either file is replaced. */
  stamp: string;
  notAfter: Date;
}

/** Size and mtime of both files, the original tool's change fingerprint. */
export async function fileStamp(certPath: string, keyPath: string): Promise<string> {
  const [c, k] = await Promise.all([Deno.stat(certPath), Deno.stat(keyPath)]);
  return `${c.size}/${c.mtime?.getTime()}/${k.size}/${k.mtime?.getTime()}`;
}

/**
 * Read and check the pair: the first certificate parses, the key matches it, and Deno's TLS stack
 * accepts both (a throwaway loopback listener), so a swap never takes the server down.
 * @throws {TalosOidcError} ERR_TLS naming the file and what is wrong.
 */
export async function loadProvidedTls(certPath: string, keyPath: string): Promise<ProvidedTls> {
  const stamp = await fileStamp(certPath, keyPath).catch((err) => fail(`reading "${certPath}" and "${keyPath}"`, err));
  const [certPem, keyPem] = await Promise.all([Deno.readTextFile(certPath), Deno.readTextFile(keyPath)])
    .catch((err) => fail(`reading "${certPath}" and "${keyPath}"`, err));
  let notAfter: Date;
  try {
    notAfter = certFacts(certPem).notAfter;
  } catch (err) {
    return fail(`parsing the TLS certificate "${certPath}"`, err);
  }
  let matches = false;
  try {
    matches = keyMatchesCert(certPem, keyPem);
  } catch (err) {
    return fail(`parsing the TLS key "${keyPath}"`, err);
  }
  if (!matches) fail(`the TLS key "${keyPath}" does not match the certificate "${certPath}"`);
  probeTlsPair({ certPem, keyPem }, certPath);
  return { pair: { certPem, keyPem }, stamp, notAfter };
}

/** Open and close a loopback TLS listener with the pair: proves Deno.serve will accept it. */
function probeTlsPair(pair: PemPair, what: string): void {
  try {
    Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: pair.certPem, key: pair.keyPem }).close();
  } catch (err) {
    fail(`the TLS stack refused the key pair from "${what}"`, err);
  }
}

function fail(message: string, cause?: unknown): never {
  throw new TalosOidcError("ERR_TLS", message, {
    cause,
    hint: "tls_cert must hold the PEM certificate (chain) and tls_key its PEM private key (PKCS#8, SEC1 or PKCS#1)",
  });
}
