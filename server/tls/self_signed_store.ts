/** @module Self-signed TLS kept in data_dir (ca.crt, ca.key, server.crt, server.key): load, renew the leaf from the same CA, persist. */

import { join } from "node:path";
import { atomicWrite } from "../../shared/atomic_write.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import {
  certFacts,
  coversSans,
  generateTlsCa,
  issuedBy,
  issueServerCert,
  keyMatchesCert,
  type PemPair,
} from "./self_signed.ts";

/** Renew when less than this is left (the original tool's `selfSignedRenewBefore`). */
const RENEW_BEFORE_MS = 24 * 3_600_000;

export interface SelfSignedOptions {
  /** Where the four files live; undefined = keep everything in memory. */
  dataDir?: string;
  /** SANs the leaf must carry. */
  sans: readonly string[];
  logger: Logger;
  renewBeforeMs?: number;
}

export interface SelfSignedTls {
  ca: PemPair;
  leaf: PemPair;
  /** Lowercase hex SHA-256 of the CA DER (what operators compare with their --server-ca). */
  caFingerprint: string;
  leafNotAfter: Date;
}

const FILES = { caCert: "ca.crt", caKey: "ca.key", cert: "server.crt", key: "server.key" } as const;

/**
 * Load the persisted CA (or create one), then reuse the persisted leaf when it is signed by that CA,
 * matches its key, covers the SANs and has more than a day left; otherwise issue a new leaf from the
 * SAME CA, so clients that pinned the CA keep working. Only a missing or expiring CA is regenerated.
 * @throws {TalosOidcError} ERR_TLS when the persisted CA is unreadable or inconsistent (never silently replaced).
 */
export async function loadOrCreateSelfSigned(options: SelfSignedOptions, now: Date): Promise<SelfSignedTls> {
  const { dataDir, logger } = options;
  const renewBefore = options.renewBeforeMs ?? RENEW_BEFORE_MS;
  let ca: PemPair | undefined;
  let dirty = false;
  if (dataDir) {
    const caCert = await readIfExists(join(dataDir, FILES.caCert));
    const caKey = await readIfExists(join(dataDir, FILES.caKey));
    if (caCert !== undefined && caKey !== undefined) {
      logger.info(`Loading persisted self-signed TLS certificates from ${dataDir}`);
      ca = checkCa({ certPem: caCert, keyPem: caKey }, dataDir);
      await tightenMode(join(dataDir, FILES.caKey), logger);
      const left = certFacts(ca.certPem).notAfter.getTime() - now.getTime();
      if (left < renewBefore) {
        logger.warn(`The self-signed CA in ${dataDir} expires soon; generating a new CA (clients must fetch it again)`);
        ca = undefined;
      }
    } else if (caCert !== undefined || caKey !== undefined) {
      throw new TalosOidcError("ERR_TLS", `only one of ${FILES.caCert} and ${FILES.caKey} exists in "${dataDir}"`, {
        hint: "restore the missing file, or remove both to generate a new CA (clients must then fetch the new CA)",
      });
    } else logger.info(`No persisted certificates found in ${dataDir}, generating new ones`);
  } else logger.info("TLS mode: generating self-signed certificate (set data_dir to keep it across restarts)");
  if (!ca) {
    ca = await generateTlsCa(now);
    dirty = true;
  }

  let leaf: PemPair | undefined;
  if (dataDir && !dirty) {
    const cert = await readIfExists(join(dataDir, FILES.cert));
    const key = await readIfExists(join(dataDir, FILES.key));
    const why = leafProblem(cert, key, ca, options.sans, now, renewBefore);
    if (why) logger.info(`Renewing the self-signed server certificate from the persisted CA: ${why}`);
    else leaf = { certPem: cert!, keyPem: key! };
  }
  if (!leaf) {
    leaf = await issueServerCert(ca, options.sans, now);
    if (dataDir) await persist(dataDir, dirty ? { ca, leaf } : { leaf }, logger);
  } else if (dataDir) await tightenMode(join(dataDir, FILES.key), logger);
  return describe(ca, leaf);
}

/**
 * Issue a new leaf from the same CA when the current one is within `renewBeforeMs` of expiry.
 * Resolves to the new material, or undefined when nothing changed. Persists when data_dir is set.
 */
export async function renewLeafIfDue(
  current: SelfSignedTls,
  options: SelfSignedOptions,
  now: Date,
): Promise<SelfSignedTls | undefined> {
  const left = current.leafNotAfter.getTime() - now.getTime();
  if (left >= (options.renewBeforeMs ?? RENEW_BEFORE_MS)) return undefined;
  const leaf = await issueServerCert(current.ca, options.sans, now);
  options.logger.info("Renewed the self-signed server certificate from the same CA", {
    not_after: certFacts(leaf.certPem).notAfter.toISOString(),
  });
  if (options.dataDir) await persist(options.dataDir, { leaf }, options.logger);
  return describe(current.ca, leaf);
}

function describe(ca: PemPair, leaf: PemPair): SelfSignedTls {
  return { ca, leaf, caFingerprint: certFacts(ca.certPem).fingerprint, leafNotAfter: certFacts(leaf.certPem).notAfter };
}

function checkCa(ca: PemPair, dir: string): PemPair {
  let ok = false;
  try {
    ok = certFacts(ca.certPem).isCa && keyMatchesCert(ca.certPem, ca.keyPem);
  } catch (err) {
    throw new TalosOidcError("ERR_TLS", `reading the persisted self-signed CA in "${dir}"`, {
      cause: err,
      hint: `fix or remove ${FILES.caCert} and ${FILES.caKey} (removing them makes a new CA that clients must fetch)`,
    });
  }
  if (!ok) {
    throw new TalosOidcError("ERR_TLS", `the persisted ${FILES.caKey} does not match ${FILES.caCert} in "${dir}"`, {
      hint: `restore the matching pair, or remove both files to generate a new CA`,
    });
  }
  return ca;
}

function leafProblem(
  cert: string | undefined,
  key: string | undefined,
  ca: PemPair,
  sans: readonly string[],
  now: Date,
  renewBefore: number,
): string | undefined {
  if (cert === undefined || key === undefined) return `${FILES.cert} or ${FILES.key} is missing`;
  try {
    if (!issuedBy(cert, ca.certPem)) return "it was not signed by the persisted CA";
    if (!keyMatchesCert(cert, key)) return `${FILES.key} does not match ${FILES.cert}`;
    if (!coversSans(cert, sans)) return "the SANs changed";
    const notAfter = certFacts(cert).notAfter;
    if (notAfter.getTime() - now.getTime() < renewBefore) return `it expires ${notAfter.toISOString()}`;
  } catch (err) {
    return `it could not be read (${err instanceof Error ? err.message : String(err)})`;
  }
  return undefined;
}

async function persist(dir: string, what: { ca?: PemPair; leaf: PemPair }, logger: Logger): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await Deno.stat(dir);
    if (st.mode !== null && (st.mode & 0o077) !== 0) await Deno.chmod(dir, 0o700);
    if (what.ca) {
      await atomicWrite(join(dir, FILES.caKey), what.ca.keyPem, { mode: 0o600 });
      await atomicWrite(join(dir, FILES.caCert), what.ca.certPem, { mode: 0o600 });
    }
    await atomicWrite(join(dir, FILES.key), what.leaf.keyPem, { mode: 0o600 });
    await atomicWrite(join(dir, FILES.cert), what.leaf.certPem, { mode: 0o600 });
    logger.info(`Persisted self-signed TLS certificates to ${dir}`);
  } catch (err) {
    logger.warn(`WARNING: could not persist self-signed TLS certificates to ${dir}; using them from memory only`, {
      error: err,
    });
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new TalosOidcError("ERR_TLS", `reading "${path}"`, { cause: err, hint: "check the file's owner and mode" });
  }
}

async function tightenMode(path: string, logger: Logger): Promise<void> {
  const st = await Deno.stat(path);
  if (st.mode !== null && (st.mode & 0o077) !== 0) {
    await Deno.chmod(path, 0o600);
    logger.warn(`${path} was readable by others; changed its mode to 0600`);
  }
}
