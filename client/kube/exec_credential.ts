/**
 * @module The kubectl exec credential plugin protocol (client.authentication.k8s.io v1 and v1beta1): read the
 * request kubectl puts in KUBERNETES_EXEC_INFO, write the ExecCredential it reads from stdout.
 */

import { isoString } from "../../shared/clock.ts";
import { TalosOidcError } from "../../shared/errors.ts";

export const EXEC_API_V1 = "client.authentication.k8s.io/v1";
export const EXEC_API_V1BETA1 = "client.authentication.k8s.io/v1beta1";
export type ExecApiVersion = typeof EXEC_API_V1 | typeof EXEC_API_V1BETA1;

/** What kubectl asked for. */
export interface ExecRequest {
  /** The answer must carry exactly this apiVersion (client-go refuses any other). */
  apiVersion: ExecApiVersion;
  /**
   * Whether the plugin may talk to the user (open a browser, show a device code). kubectl sets it from the
   * kubeconfig's `interactiveMode` and whether its stdin is a terminal; false when the variable is absent.
   */
  interactive: boolean;
}

/**
 * Read `KUBERNETES_EXEC_INFO`. Absent or empty: v1beta1 (what kubectl before 1.22 sent) and not interactive.
 * @throws {TalosOidcError} ERR_USAGE when it is not an ExecCredential of a version this plugin speaks.
 */
export function readExecRequest(raw: string | undefined): ExecRequest {
  if (raw === undefined || raw.trim() === "") return { apiVersion: EXEC_API_V1BETA1, interactive: false };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw bad("it is not JSON", err);
  }
  if (!isObject(v) || v.kind !== "ExecCredential") throw bad(`its "kind" is not "ExecCredential"`);
  if (v.apiVersion !== EXEC_API_V1 && v.apiVersion !== EXEC_API_V1BETA1) {
    throw bad(`apiVersion "${String(v.apiVersion)}" is not ${EXEC_API_V1} or ${EXEC_API_V1BETA1}`);
  }
  const spec = isObject(v.spec) ? v.spec : {};
  return { apiVersion: v.apiVersion, interactive: spec.interactive === true };
}

/**
 * The ExecCredential kubectl reads from stdout: the bearer token and when it expires (RFC 3339, UTC, whole
 * seconds), so kubectl keeps it in memory until then and runs the plugin again afterwards. One line, no secret
 * anywhere else.
 */
export function formatExecCredential(apiVersion: ExecApiVersion, token: string, expiresAt: Date): string {
  const expirationTimestamp = isoString(new Date(Math.floor(expiresAt.getTime() / 1000) * 1000))
    .replace(/\.000Z$/, "Z");
  return JSON.stringify({ apiVersion, kind: "ExecCredential", status: { token, expirationTimestamp } }) + "\n";
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function bad(why: string, cause?: unknown): TalosOidcError {
  return new TalosOidcError("ERR_USAGE", `reading KUBERNETES_EXEC_INFO: ${why}`, {
    cause,
    hint: "kubectl sets it when it runs the plugin; unset it to run the plugin by hand",
  });
}
