/**
 * @module `serve` with one of its fast paths turned off, for the peer bench's A/B rows (what each step bought):
 * BENCH_VARIANT=no-fast-exchange (POST /exchange through the Hono app), node-listener (the node:http(s) listener
 * server/http1/ replaced; with TALOSCTL_OIDC_WORKERS=1), owner-audit (worker threads send their audit events to the
 * owner thread instead of appending to the chain themselves). Same config and environment as `serve`, same log lines.
 */

import { jsonLogger } from "../../shared/log.ts";
import { startServer } from "../../server/app.ts";
import { loadServerConfig } from "../../server/config_loader.ts";
import type { ServeVariant } from "../../server/loops.ts";
import { startNodeListener } from "./node_listener.ts";

const VARIANTS: Record<string, ServeVariant> = {
  "no-fast-exchange": { fastExchange: false },
  "node-listener": { listener: startNodeListener },
  "owner-audit": { workersWriteAudit: false },
  "no-balance": { balance: false },
};

if (import.meta.main) {
  const name = Deno.env.get("BENCH_VARIANT") ?? "";
  const variant = VARIANTS[name];
  if (!variant) throw new Error(`BENCH_VARIANT must be one of ${Object.keys(VARIANTS).join(", ")}`);
  const logger = jsonLogger();
  const loaded = await loadServerConfig({ env: Deno.env.toObject() });
  if (loaded.problems.length > 0) throw new Error(loaded.problems.join("\n"));
  const server = await startServer(loaded, { logger, variant });
  const stop = () => void server.close().then(() => Deno.exit(0));
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
