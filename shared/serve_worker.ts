/**
 * @module How a thread knows it is a serve worker: the owner names each one SERVE_WORKER_NAME, and main.ts (the
 * entry of the source tree, the bundle and the binary alike) then starts the worker instead of the CLI.
 */

export const SERVE_WORKER_NAME = "talosctl-oidc serve worker";

/** True inside a worker thread the serve command started. */
export function isServeWorker(): boolean {
  const scope = globalThis as { WorkerGlobalScope?: unknown; name?: unknown };
  return scope.WorkerGlobalScope !== undefined && typeof scope.name === "string" &&
    scope.name.startsWith(SERVE_WORKER_NAME);
}
