/** @module Decide how setup trusts the exchange server: system CAs, a given CA file, or its /ca confirmed by fingerprint. */

import type { Stdio } from "../../shared/cli.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import {
  confirmFingerprint,
  describeCa,
  fetchServerCaUnverified,
  normalizeFingerprint,
  type ServerCa,
  trustedBySystem,
  verifyServerWithCa,
} from "./server_ca.ts";

export interface PinOptions {
  server: string;
  /** A CA file the user already has (pinned as is, after a handshake proves the server uses it). */
  caFile?: string;
  /** Expected SHA-256 (hex, colons allowed). */
  expected?: string;
  yes: boolean;
  stdio: Stdio;
  signal: AbortSignal;
}

/** The CA to pin (none when the system already trusts the server, or for plain HTTP) and a line saying what happened. */
export async function pinServerCa(o: PinOptions): Promise<{ ca?: ServerCa; message: string }> {
  let url: URL;
  try {
    url = new URL(o.server);
  } catch {
    throw new TalosOidcError("ERR_USAGE", `--server "${o.server}" is not a URL`, { hint: "e.g. https://host:8443" });
  }
  if (url.protocol === "http:") {
    return {
      message: "plain HTTP: nothing to pin; login needs --insecure and ID tokens cross the network unencrypted",
    };
  }
  if (url.protocol !== "https:") throw new TalosOidcError("ERR_USAGE", `--server must be an https:// URL`);
  if (o.caFile) {
    let ca: ServerCa;
    try {
      ca = describeCa(await Deno.readTextFile(o.caFile));
    } catch (err) {
      throw new TalosOidcError("ERR_USAGE", `reading the --server-ca file "${o.caFile}" failed`, { cause: err });
    }
    if (o.expected && normalizeFingerprint(o.expected) !== ca.sha256) {
      throw new TalosOidcError("ERR_TLS", `"${o.caFile}" has SHA-256 ${ca.sha256}, not the expected one`);
    }
    await verifyServerWithCa(o.server, ca, o.signal);
    return { ca, message: `ok    the server's certificate chains to "${o.caFile}" (SHA-256 ${ca.sha256}); pinned` };
  }
  if (await trustedBySystem(o.server, o.signal)) {
    return { message: "ok    the server's certificate is trusted by this system's CAs: nothing to pin" };
  }
  const ca = await fetchServerCaUnverified(o.server, o.signal);
  await confirmFingerprint(ca, { expected: o.expected, yes: o.yes, stdio: o.stdio, server: o.server });
  await verifyServerWithCa(o.server, ca, o.signal);
  return { ca, message: `ok    pinned the server's CA (SHA-256 ${ca.sha256})` };
}
