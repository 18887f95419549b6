/** @module What a doctor check receives and what it reports: one verdict line plus a fix hint. */

import type { Clock } from "../../shared/clock.ts";
import type { Env } from "../paths.ts";

export type Verdict = "ok" | "warn" | "fail" | "skip";

/** One line of the doctor report. */
export interface CheckResult {
  /** Short name of what was checked, e.g. "talosconfig", "server TLS". */
  name: string;
  verdict: Verdict;
  /** What was found, one line. Never a token or key. */
  message: string;
  /** What to do about it (for warn and fail). */
  hint?: string;
}

/** Everything the checks look at, resolved once from flags, the profile and the environment. */
export interface DoctorInputs {
  talosconfigPath: string;
  /** Context to inspect; undefined = the talosconfig's current context. */
  contextName?: string;
  /** Exchange server base URL. */
  server?: string;
  /** PEM file trusted (exclusively) for the exchange server. */
  serverCaPath?: string;
  /** Pinned SHA-256 fingerprint of the server CA (from the profile), lowercase hex. */
  serverCaFingerprint?: string;
  /** OIDC issuer URL. */
  provider?: string;
  clientId?: string;
  callbackPort: number;
  /** The login command to suggest in hints. */
  loginHint: string;
  env: Env;
  clock: Clock;
}

/** A check: one or more results, never a thrown error (a crash is reported as a fail by the runner). */
export type Check = (inputs: DoctorInputs) => Promise<CheckResult | CheckResult[]>;

export const ok = (name: string, message: string): CheckResult => ({ name, verdict: "ok", message });
export const warn = (name: string, message: string, hint?: string): CheckResult => ({
  name,
  verdict: "warn",
  message,
  ...(hint ? { hint } : {}),
});
export const fail = (name: string, message: string, hint?: string): CheckResult => ({
  name,
  verdict: "fail",
  message,
  ...(hint ? { hint } : {}),
});
export const skip = (name: string, message: string): CheckResult => ({ name, verdict: "skip", message });

/** "3m20s", "2h5m", "4d3h": a rough human duration for messages. */
export function humanDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}
