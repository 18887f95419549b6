/** @module The talos_api issuing backend: certificates minted by Talos's GenerateClientConfiguration, never by us. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createHash } from "node:crypto";
import { isTalosOidcError, TalosOidcError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import { issuableRoles } from "../talos_ca/issue_request.ts";
import type { CertIssuer, IssuedCert, IssueRequest } from "../talos_ca/types.ts";
import type { TalosApiClient } from "./client.ts";
import type { GenerateClientConfiguration } from "./proto.ts";

export interface TalosApiIssuerOptions {
  client: TalosApiClient;
  logger: Logger;
  now: () => Date;
  /** How long a /readyz answer about the Talos API is reused (default 5 s). */
  readyCacheMs?: number;
}

const decoder = new TextDecoder();

/**
 * A CertIssuer over the Talos API. Roles are normalised again here (os:impersonator is never requested: Talos
 * does not cap requested roles by the caller's, so our RBAC is the only policy), `crt_ttl` is the requested TTL,
 * and the first message's `ca`, `crt` and `key` are returned unchanged after checking that the certificate
 * carries exactly the roles asked for. CN and CSR cannot be honoured: Talos makes the key and puts only roles
 * in the subject.
 */
export function createTalosApiIssuer(o: TalosApiIssuerOptions): CertIssuer {
  const cacheMs = o.readyCacheMs ?? 5000;
  let lastCa: string | undefined;
  let readiness = { at: -Infinity, ok: false };
  let checking: Promise<boolean> | undefined;
  const remember = (ok: boolean) => (readiness = { at: o.now().getTime(), ok });

  async function check(): Promise<boolean> {
    try {
      await o.client.version();
      return remember(true).ok;
    } catch (err) {
      if (!isTalosOidcError(err, "ERR_TALOS_API")) o.logger.error("Talos API readiness check failed", { error: err });
      return remember(false).ok;
    }
  }

  return {
    backend: "talos_api",
    caPem: () => lastCa,
    close: () => o.client.close(),
    ready() {
      if (o.now().getTime() - readiness.at < cacheMs) return Promise.resolve(readiness.ok);
      return checking ??= check().finally(() => (checking = undefined));
    },
    async issue(req: IssueRequest): Promise<IssuedCert> {
      const roles = issuableRoles(req);
      let answer: Awaited<ReturnType<TalosApiClient["generate"]>>;
      try {
        answer = await o.client.generate(roles, Math.ceil(req.ttlMs / 1000));
      } catch (err) {
        if (isTalosOidcError(err, "ERR_TALOS_API")) remember(false);
        throw err;
      }
      remember(true);
      const issued = readIssued(answer.message, roles, answer.endpoint);
      lastCa = issued.caPem;
      if (req.csrPem !== undefined) o.logger.debug("CSR ignored: the Talos API generates the key", {});
      return issued;
    },
  };
}

/** Check the reply and describe the certificate; anything unexpected is ERR_TALOS_API naming the endpoint. */
function readIssued(m: GenerateClientConfiguration, roles: string[], endpoint: string): IssuedCert {
  const bad = (detail: string) =>
    new TalosOidcError("ERR_TALOS_API", "Talos API unavailable", {
      fields: { failures: [{ endpoint, status: "BAD_REPLY", detail }], detail: `${endpoint}: BAD_REPLY: ${detail}` },
    });
  const caPem = decoder.decode(m.ca), certPem = decoder.decode(m.crt), keyPem = decoder.decode(m.key);
  if (!caPem.includes("-----BEGIN ") || !keyPem.includes("-----BEGIN ")) throw bad("the reply lacks ca or key PEM");
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch {
    throw bad("the reply's crt is not a PEM certificate");
  }
  // Exactly the roles asked for, compared before any normalisation: an os:impersonator added by the node is refused.
  const got = cert.subjectName.getField("O").map((r) => r.trim()).filter(Boolean).sort();
  if (got.join(",") !== roles.join(",")) {
    throw bad(`the certificate carries roles [${got.join(", ")}], not the requested [${roles.join(", ")}]`);
  }
  return {
    certPem,
    keyPem,
    caPem,
    serial: cert.serialNumber.toLowerCase(),
    fingerprint: createHash("sha256").update(new Uint8Array(cert.rawData)).digest("hex"),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}
