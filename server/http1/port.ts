/** @module Port checks for listeners that set SO_REUSEPORT (which would silently share a port another server holds). */

import { TalosOidcError } from "../../shared/errors.ts";

/** Fail with ERR_CONFIG when `hostname:port` is taken (bound here without SO_REUSEPORT, then released). */
export function checkPortFree(hostname: string, port: number): Promise<void> {
  try {
    Deno.listen({ hostname, port }).close();
  } catch (err) {
    if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    throw new TalosOidcError("ERR_CONFIG", `listen ${hostname}:${port}: address already in use`, {
      hint: "another process (perhaps another talosctl-oidc serve) listens there: stop it or pick another port",
    });
  }
  return Promise.resolve();
}

let available: boolean | undefined;

/** Whether this runtime lets a listener set SO_REUSEPORT (Deno asks for --unstable-net; deno.json and builds pass it). */
export function reusePortAvailable(): boolean {
  if (available === undefined) {
    try {
      Deno.listen({ hostname: "127.0.0.1", port: 0, reusePort: true }).close();
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}
