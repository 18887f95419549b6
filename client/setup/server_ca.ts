/**
 * @module Pin the exchange server's self-signed CA: fetch `GET /ca` without verification (only to fetch it), show
 * its SHA-256, have the user confirm it against the server's startup log, then prove the server chains to it.
 */

import { X509Certificate } from "node:crypto";
import https from "node:https";
import type { Stdio } from "../../shared/cli.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { pinnedFetch } from "../pinned_fetch.ts";

export interface ServerCa {
  pem: string;
  /** Lowercase hex SHA-256 of the DER, as the server logs it ("Self-signed CA fingerprint (SHA-256): ..."). */
  sha256: string;
  subject: string;
  notAfter: Date;
}

const MAX_CA_BYTES = 64 * 1024;

/** True when the server's certificate is trusted by the system's CAs (nothing to pin then). */
export async function trustedBySystem(server: string, signal: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch(new URL("healthz", withSlash(server)), {
      signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
    });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/**
 * GET <server>/ca WITHOUT verifying TLS. The result is untrusted until `confirmFingerprint` accepts it.
 * @throws {TalosOidcError} ERR_TLS when the server does not serve a CA (not in self-signed mode) or it does not parse.
 */
export function fetchServerCaUnverified(server: string, signal: AbortSignal): Promise<ServerCa> {
  const url = new URL("ca", withSlash(server));
  return new Promise((resolve, reject) => {
    const fail = (msg: string, cause?: unknown) =>
      reject(
        new TalosOidcError("ERR_TLS", `fetching the server's CA from ${url.href} failed: ${msg}`, {
          cause,
          hint: "the server serves /ca only in its self-signed TLS mode; otherwise pass --server-ca with its CA file",
        }),
      );
    const req = https.get(url, { rejectUnauthorized: false, agent: false, signal, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
        if (body.length > MAX_CA_BYTES) req.destroy(new Error("response too large"));
      });
      res.on("end", () => {
        if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode}`);
        try {
          resolve(describeCa(body));
        } catch (err) {
          fail("the response is not a PEM certificate", err);
        }
      });
      res.on("error", (err: Error) => fail(err.message, err));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err: Error) => fail(err.message, err));
  });
}

/** Parse a CA PEM into what we show and pin. */
export function describeCa(pem: string): ServerCa {
  const block = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
  if (!block) throw new TypeError("no PEM CERTIFICATE block");
  const cert = new X509Certificate(block);
  return {
    pem: block + "\n",
    sha256: cert.fingerprint256.replace(/:/g, "").toLowerCase(),
    subject: cert.subject.replace(/\n/g, ", "),
    notAfter: new Date(cert.validTo),
  };
}

/** "AB:CD…", "sha256:abcd…" or "abcd…" → "abcd…". */
export function normalizeFingerprint(fp: string): string {
  return fp.trim().toLowerCase().replace(/^sha-?256:/, "").replace(/[:\s]/g, "");
}

/**
 * Accept the fetched CA only if the user vouches for it: a matching --server-ca-fingerprint, --yes, or "y" typed on a
 * terminal after comparing it with the server's log.
 * @throws {TalosOidcError} ERR_TLS on a mismatch or a "no"; ERR_USAGE when there is no way to ask.
 */
export async function confirmFingerprint(
  ca: ServerCa,
  o: { expected?: string; yes: boolean; stdio: Stdio; server: string },
): Promise<void> {
  const show = `The server ${o.server} presents this CA:\n  subject  ${ca.subject}\n  SHA-256  ${ca.sha256}\n`;
  if (o.expected !== undefined) {
    if (normalizeFingerprint(o.expected) === ca.sha256) {
      return void o.stdio.stderr(`${show}It matches --server-ca-fingerprint.\n`);
    }
    throw new TalosOidcError(
      "ERR_TLS",
      `the server's CA fingerprint is ${ca.sha256}, not the expected ${normalizeFingerprint(o.expected)}`,
      {
        hint:
          "something between you and the server may be intercepting TLS; do not trust this server until you know why",
      },
    );
  }
  o.stdio.stderr(show);
  if (o.yes) return void o.stdio.stderr("Accepted without comparing (--yes).\n");
  if (!o.stdio.isTerminal || !o.stdio.readLine) {
    throw new TalosOidcError("ERR_USAGE", "cannot ask to confirm the server's CA: not a terminal", {
      hint: `pass --server-ca-fingerprint ${
        ca.sha256.slice(0, 8)
      }… (from the server's log line "Self-signed CA fingerprint") or --yes`,
    });
  }
  o.stdio.stderr(
    `Compare it with the server's log line "Self-signed CA fingerprint (SHA-256): ...".\nDoes it match? [y/N] `,
  );
  const answer = (await o.stdio.readLine()) ?? "";
  if (!/^\s*y(es)?\s*$/i.test(answer)) {
    throw new TalosOidcError("ERR_TLS", "the server's CA was not confirmed; nothing was pinned", {
      hint: "check the fingerprint in the server's log, then run setup again",
    });
  }
}

/**
 * Prove the server's TLS certificate chains to `ca` and names the host (a real handshake trusting only `ca`: no system
 * root, no DENO_CERT; pinnedFetch).
 * @throws {TalosOidcError} ERR_TLS when it does not.
 */
export async function verifyServerWithCa(server: string, ca: ServerCa, signal: AbortSignal): Promise<void> {
  try {
    const res = await pinnedFetch(ca.pem)(new URL("healthz", withSlash(server)), {
      signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
    });
    await res.body?.cancel();
  } catch (err) {
    throw new TalosOidcError("ERR_TLS", `the server ${server} does not present a certificate from the CA it served`, {
      cause: err,
      hint: "use the host name or IP that is in the server's certificate (tls_san on the server)",
    });
  }
}

function withSlash(url: string): string {
  return url.replace(/\/*$/, "/");
}
