/** @module The server's own Talos API credential: a talosconfig context's ca/crt/key, its roles and how long it lasts. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { parse } from "yaml";
import { TalosOidcError } from "../../shared/errors.ts";
import { pemText } from "../talos_ca/pem.ts";

/** The role GenerateClientConfiguration needs. */
const REQUIRED_ROLE = "os:admin";
/** Warn when the credential expires sooner than this. */
const EXPIRY_WARNING_MS = 7 * 86_400_000;
/** Where the talos.dev ServiceAccount's secret is mounted: Talos renews it in place (6 h certificates). */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/talos.dev/";

const MAKE_ONE_HINT = "create one with: talosctl config new --roles os:admin --crt-ttl 8760h " +
  "talosctl-oidc.talosconfig (run by an os:admin), or in Kubernetes use a talos.dev/v1alpha1 ServiceAccount " +
  "with roles [os:admin] (docs/helm.md)";

/** A talosconfig context's mutual TLS material, checked. Never logged: `keyPem` is a private key. */
export interface TalosCredential {
  path: string;
  context: string;
  caPem: string;
  certPem: string;
  /** The key PEM, relabelled `PRIVATE KEY` when Talos wrote `ED25519 PRIVATE KEY` (Deno's TLS reads only the former). */
  keyPem: string;
  /** Subject O of the client certificate, as apid reads them. */
  roles: string[];
  notBefore: Date;
  notAfter: Date;
  /** The raw file text: a reload compares it to decide whether anything changed. */
  text: string;
}

function configError(message: string, hint?: string): TalosOidcError {
  return new TalosOidcError("ERR_CONFIG", message, hint ? { hint } : {});
}

/**
 * Read the current context of a talosconfig (`ca`, `crt`, `key` are base64 of PEM). Throws ERR_CONFIG naming the
 * file and what is missing; never quotes key material.
 */
export function parseTalosCredential(text: string, path: string): TalosCredential {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    throw configError(`reading talosconfig "${path}": not valid YAML`, MAKE_ONE_HINT);
  }
  const d = (doc ?? {}) as { context?: unknown; contexts?: Record<string, unknown> };
  const contexts = d.contexts && typeof d.contexts === "object" ? d.contexts : {};
  const names = Object.keys(contexts);
  const name = typeof d.context === "string" && d.context !== "" ? d.context : names.length === 1 ? names[0]! : "";
  const ctx = contexts[name] as Record<string, unknown> | undefined;
  if (!name || !ctx || typeof ctx !== "object") {
    throw configError(
      `reading talosconfig "${path}": no current context${names.length ? ` (contexts: ${names.join(", ")})` : ""}`,
      "set `context:` in the file to the context to use",
    );
  }
  const field = (k: "ca" | "crt" | "key") => {
    const pem = typeof ctx[k] === "string" ? pemText(ctx[k] as string) : undefined;
    if (!pem) {
      throw configError(
        `reading talosconfig "${path}": context "${name}" has no ${k} (base64 of PEM)`,
        `the context must hold a client certificate; ${MAKE_ONE_HINT}`,
      );
    }
    return pem;
  };
  const caPem = field("ca"), certPem = field("crt"), keyPem = field("key");
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch {
    throw configError(`reading talosconfig "${path}": context "${name}" crt is not a certificate`, MAKE_ONE_HINT);
  }
  const roles = cert.subjectName.getField("O").map((o) => o.trim()).filter((o) => o !== "");
  return {
    path,
    context: name,
    caPem,
    certPem,
    keyPem: keyPem.replaceAll("ED25519 PRIVATE KEY", "PRIVATE KEY"),
    roles,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    text,
  };
}

/** Problems that make the credential unusable for issuing: no os:admin, not valid now. */
export function credentialProblems(c: TalosCredential, now: Date): string[] {
  const problems: string[] = [];
  const where = `the client certificate in "${c.path}" (context "${c.context}")`;
  if (!c.roles.includes(REQUIRED_ROLE)) {
    const has = c.roles.length ? `roles [${c.roles.join(", ")}]` : "no roles";
    problems.push(
      `${where} has ${has}; issuing through the Talos API needs ${REQUIRED_ROLE}: ${MAKE_ONE_HINT}`,
    );
  }
  if (now >= c.notAfter) problems.push(`${where} expired at ${c.notAfter.toISOString()}: ${MAKE_ONE_HINT}`);
  else if (now < c.notBefore) problems.push(`${where} is not valid before ${c.notBefore.toISOString()}`);
  return problems;
}

/**
 * A warning when the credential expires within 7 days, unless it is the ServiceAccount's (Talos renews that one
 * in place, and the server re-reads the file when it changes).
 */
export function credentialWarning(c: TalosCredential, now: Date): string | undefined {
  const left = c.notAfter.getTime() - now.getTime();
  if (left >= EXPIRY_WARNING_MS || left <= 0 || c.path.startsWith(SERVICE_ACCOUNT_DIR)) return undefined;
  const days = Math.floor(left / 86_400_000), hours = Math.floor((left % 86_400_000) / 3_600_000);
  return `the Talos API credential "${c.path}" expires at ${c.notAfter.toISOString()} (in ${days}d${hours}h): ` +
    `renew it before then (the file is re-read when it changes); ${MAKE_ONE_HINT}`;
}
