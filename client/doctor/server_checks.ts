/** @module Doctor checks on the exchange server: pinned CA file, reachability with that trust, clock skew (Date header). */

import { X509Certificate } from "node:crypto";
import { pinnedFetch } from "../pinned_fetch.ts";
import { type CheckResult, type DoctorInputs, fail, humanDuration, ok, skip, warn } from "./types.ts";

/** Skew beyond this is a warning (the IdP check tolerates 30 s), beyond CLOCK_FAIL_MS a failure. */
const CLOCK_WARN_MS = 30_000;
const CLOCK_FAIL_MS = 5 * 60_000;

/** The server CA file (if any), then GET /healthz over TLS trusting only it, then the Date header. */
export async function checkServer(inputs: DoctorInputs): Promise<CheckResult[]> {
  if (!inputs.server) {
    return [skip("server", "no exchange server given (use --server URL or --profile NAME)")];
  }
  let url: URL;
  try {
    url = new URL("healthz", inputs.server.replace(/\/*$/, "/"));
  } catch {
    return [fail("server", `"${inputs.server}" is not a URL`, "pass --server https://host:port")];
  }
  const out: CheckResult[] = [];
  let caPem: string | undefined;
  if (inputs.serverCaPath) {
    const ca = await checkServerCaFile(inputs);
    out.push(ca.result);
    if (ca.result.verdict === "fail") return out;
    caPem = ca.pem;
  }
  if (url.protocol === "http:") {
    out.push(
      warn(
        "server TLS",
        `"${inputs.server}" is plain HTTP: ID tokens and keys cross the network in clear`,
        "serve TLS and use an https:// URL",
      ),
    );
  }
  const t0 = Date.now();
  let res: Response;
  try {
    const signal = AbortSignal.timeout(10_000);
    // The pinned CA alone (pinnedFetch), as login trusts it; else the system's roots.
    res = caPem && url.protocol === "https:"
      ? await pinnedFetch(caPem)(url, { signal })
      : await fetch(url, { signal, redirect: "manual" });
    await res.body?.cancel();
  } catch (err) {
    out.push(describeFetchError(err, inputs));
    return out;
  }
  const t1 = Date.now();
  const trust = caPem ? `the pinned CA "${inputs.serverCaPath}"` : "the system's CAs";
  const tls = url.protocol === "https:" ? ` (TLS verified with ${trust})` : "";
  out.push(
    res.ok
      ? ok("server", `${url.origin} answers /healthz${tls}`)
      : warn("server", `${url.origin}/healthz answered HTTP ${res.status}`, "check the server's logs"),
  );
  out.push(checkClock(res.headers.get("date"), t0, t1, inputs));
  return out;
}

async function checkServerCaFile(inputs: DoctorInputs): Promise<{ result: CheckResult; pem?: string }> {
  const path = inputs.serverCaPath!;
  let pem: string;
  try {
    pem = await Deno.readTextFile(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "does not exist" : `cannot be read (${(err as Error).message})`;
    return {
      result: fail("server CA", `"${path}" ${why}`, "re-run talosctl-oidc setup to fetch and pin the server CA"),
    };
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return {
      result: fail(
        "server CA",
        `"${path}" holds no PEM certificate`,
        "re-run talosctl-oidc setup to fetch and pin the server CA",
      ),
    };
  }
  const fp = cert.fingerprint256.replace(/:/g, "").toLowerCase();
  if (inputs.serverCaFingerprint && inputs.serverCaFingerprint.replace(/:/g, "").toLowerCase() !== fp) {
    return {
      result: fail(
        "server CA",
        `"${path}" has fingerprint ${fp}, not the pinned ${inputs.serverCaFingerprint}`,
        "someone replaced the file; re-run talosctl-oidc setup and compare the fingerprint with the server's log",
      ),
    };
  }
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() < inputs.clock.now().getTime()) {
    return {
      result: fail("server CA", `"${path}" expired on ${notAfter.toISOString()}`, "re-run talosctl-oidc setup"),
    };
  }
  return { result: ok("server CA", `"${path}" SHA-256 ${fp.slice(0, 16)}…`), pem };
}

function describeFetchError(err: unknown, inputs: DoctorInputs): CheckResult {
  const text = chain(err);
  if (
    /UnknownIssuer|BadSignature|invalid peer certificate|certificate verify failed|self.signed|unknown ca|unable to (verify|get local issuer)/i
      .test(text)
  ) {
    return fail(
      "server TLS",
      inputs.serverCaPath
        ? `the server's certificate is not signed by the CA in "${inputs.serverCaPath}"`
        : `the server's certificate is not trusted by the system's CAs (self-signed server?)`,
      inputs.serverCaPath
        ? "the server's CA changed, or this is not your server: re-run talosctl-oidc setup and compare fingerprints"
        : "pin its CA with: talosctl-oidc setup --server " + inputs.server,
    );
  }
  if (/NotValidForName|certificate is not valid for|name mismatch|altnames/i.test(text)) {
    return fail(
      "server TLS",
      `the server's certificate does not name "${new URL(inputs.server!).hostname}"`,
      "use the host name in the certificate, or add it to the server's tls_san",
    );
  }
  if (/Expired|NotValidYet|not yet valid/i.test(text)) {
    return fail(
      "server TLS",
      "the server's certificate is expired or not yet valid (check this machine's clock)",
      "renew the server certificate, or fix the clock",
    );
  }
  if (/refused|timed out|TimeoutError|dns error|lookup|unreachable|reset/i.test(text)) {
    return fail(
      "server",
      `cannot reach ${inputs.server}: ${lastLine(text)}`,
      "check the URL, that the server runs, and firewalls/ip_allowlist",
    );
  }
  return fail(
    "server",
    `request to ${inputs.server} failed: ${lastLine(text)}`,
    "check the URL and that the server runs",
  );
}

function checkClock(date: string | null, t0: number, t1: number, inputs: DoctorInputs): CheckResult {
  if (!date) return skip("clock", "the server sent no Date header");
  const server = Date.parse(date);
  if (Number.isNaN(server)) return skip("clock", `the server's Date header "${date}" does not parse`);
  // Date has 1 s resolution: compare with the middle of the request and forgive the rounding.
  const local = (t0 + t1) / 2 + (inputs.clock.now().getTime() - Date.now());
  const skew = server - local;
  const abs = Math.max(0, Math.abs(skew) - 1000 - (t1 - t0) / 2);
  const how = `${humanDuration(abs)} ${skew > 0 ? "behind" : "ahead of"} the server`;
  if (abs > CLOCK_FAIL_MS) {
    return fail(
      "clock",
      `this machine is ${how}`,
      "sync the clock (NTP): certificates and tokens are checked against it",
    );
  }
  if (abs > CLOCK_WARN_MS) return warn("clock", `this machine is ${how}`, "sync the clock (NTP)");
  return ok("clock", `within ${humanDuration(Math.max(abs, 1000))} of the server's clock`);
}

function chain(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, i = 0; e !== undefined && e !== null && i < 6; i++) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join("\n");
}

function lastLine(text: string): string {
  return text.split("\n").filter(Boolean).pop()?.replace(/^Error: /, "") ?? text;
}
