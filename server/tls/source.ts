/** @module The TLS mode in use (self-signed, provided, insecure): current key pair, CA for /ca, and refresh checks. */

import type { Logger } from "../../shared/log.ts";
import type { TlsConfig } from "../config.ts";
import { fileStamp, loadProvidedTls } from "./provided.ts";
import { type PemPair, serverSans } from "./self_signed.ts";
import { loadOrCreateSelfSigned, renewLeafIfDue, type SelfSignedTls } from "./self_signed_store.ts";

export interface TlsSource {
  readonly mode: TlsConfig["mode"];
  /** Certificate (chain) and key for the listener; undefined in insecure mode. */
  current(): PemPair | undefined;
  /** The self-signed CA PEM (served at GET /ca); undefined in the other modes. */
  caPem(): string | undefined;
  /**
   * Check for new material: a renewed self-signed leaf, or changed tls_cert/tls_key files.
   * True when current() changed and the listener must be restarted. Never throws: a bad new
   * pair is logged and the loaded one kept.
   */
  refresh(now: Date): Promise<boolean>;
}

/**
 * Build the TLS source for the config and log the mode like the original tool.
 * @throws {TalosOidcError} ERR_TLS when the provided pair or the persisted CA cannot be used.
 */
export async function createTlsSource(
  tls: TlsConfig,
  listenHost: string,
  logger: Logger,
  now: Date,
): Promise<TlsSource> {
  if (tls.mode === "insecure") {
    logger.warn("WARNING: serving plain HTTP (insecure mode) - do NOT use in production");
    return {
      mode: "insecure",
      current: () => undefined,
      caPem: () => undefined,
      refresh: () => Promise.resolve(false),
    };
  }
  if (tls.mode === "provided") {
    logger.info(`TLS mode: using provided certificate (${tls.certPath})`);
    let loaded = await loadProvidedTls(tls.certPath, tls.keyPath);
    return {
      mode: "provided",
      current: () => loaded.pair,
      caPem: () => undefined,
      async refresh() {
        try {
          if (await fileStamp(tls.certPath, tls.keyPath) === loaded.stamp) return false;
          loaded = await loadProvidedTls(tls.certPath, tls.keyPath);
          logger.info(`TLS certificate reloaded from ${tls.certPath}`, { not_after: loaded.notAfter.toISOString() });
          return true;
        } catch (err) {
          logger.warn(`TLS certificate reload: ${describe(err)} (continuing with the loaded certificate)`);
          return false;
        }
      },
    };
  }
  const options = { dataDir: tls.dataDir, sans: serverSans(listenHost, tls.san), logger };
  let material: SelfSignedTls = await loadOrCreateSelfSigned(options, now);
  logCa(material, logger);
  return {
    mode: "self-signed",
    current: () => material.leaf,
    caPem: () => material.ca.certPem,
    async refresh(at) {
      try {
        const renewed = await renewLeafIfDue(material, options, at);
        if (renewed) material = renewed;
        return renewed !== undefined;
      } catch (err) {
        logger.error(`renewing the self-signed server certificate failed: ${describe(err)}`);
        return false;
      }
    },
  };
}

function logCa(m: SelfSignedTls, logger: Logger): void {
  logger.info(`Self-signed CA fingerprint (SHA-256): ${m.caFingerprint}`, { fingerprint: m.caFingerprint });
  logger.info(`Self-signed CA PEM (use with --server-ca on the login command):\n${m.ca.certPem}`);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `${err.message}${cause}`;
}
