/**
 * @module The key pair the loopback callback is served with over https:// (--local-server-cert, --local-server-key):
 * read with `~` expanded, and checked before any browser opens: PEM labels, key matches certificate, not expired.
 */

import { createPrivateKey, X509Certificate } from "node:crypto";
import { TalosOidcError } from "../../shared/errors.ts";
import { type Env, expandHome } from "../paths.ts";

/** PEM certificate (chain) and private key for `Deno.serve({ cert, key })`. */
export interface CallbackTls {
  cert: string;
  key: string;
}

/**
 * Read and check the callback's certificate and key.
 * @throws {TalosOidcError} ERR_USAGE when a file cannot be read; ERR_CONFIG when it holds no usable PEM, the key is
 * not the certificate's, or the certificate is not valid at `now`.
 */
export async function loadCallbackTls(
  paths: { cert: string; key: string },
  env: Env,
  now: Date = new Date(),
): Promise<CallbackTls> {
  const certPath = expandHome(paths.cert, env), keyPath = expandHome(paths.key, env);
  const cert = await readPem("--local-server-cert", certPath);
  const key = await readPem("--local-server-key", keyPath);
  if (!cert.includes("-----BEGIN CERTIFICATE-----")) {
    throw new TalosOidcError("ERR_CONFIG", `the --local-server-cert file "${certPath}" holds no PEM certificate`);
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(key) || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
    throw new TalosOidcError("ERR_CONFIG", `the --local-server-key file "${keyPath}" holds no unencrypted PEM key`, {
      hint: "use a PEM private key without a passphrase (PKCS#8, PKCS#1 or SEC1), for example from mkcert",
    });
  }
  let leaf: X509Certificate;
  let matches: boolean;
  try {
    leaf = new X509Certificate(cert);
    matches = leaf.checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new TalosOidcError("ERR_CONFIG", `reading the callback's TLS certificate "${certPath}" and key failed`, {
      cause: err,
      hint: "check that both files are PEM (run with -v for the cause)",
    });
  }
  if (!matches) {
    throw new TalosOidcError(
      "ERR_CONFIG",
      `the --local-server-key "${keyPath}" is not the key of the --local-server-cert "${certPath}"`,
    );
  }
  const notBefore = new Date(leaf.validFrom), notAfter = new Date(leaf.validTo);
  if (notAfter <= now || notBefore > now) {
    throw new TalosOidcError(
      "ERR_CONFIG",
      `the --local-server-cert "${certPath}" is not valid now (valid from ${notBefore.toISOString()} to ${notAfter.toISOString()})`,
      { hint: "renew it (for example with mkcert 127.0.0.1 localhost)" },
    );
  }
  return { cert, key };
}

async function readPem(flag: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "does not exist" : "cannot be read";
    throw new TalosOidcError("ERR_USAGE", `the ${flag} file "${path}" ${why}`, { cause: err });
  }
}
