/**
 * @module The server's app on Deno.serve (Rust hyper) instead of the shipped node:http listener, for the bench's A/B
 * (is Deno.serve worth it for plain HTTP behind a TLS-terminating ingress?). Same config and environment as
 * `serve` (one event loop); prints the same "Cert exchange server listening" log line with its URL.
 */

import { jsonLogger } from "../../shared/log.ts";
import { createApp } from "../../server/app.ts";
import { loadServerConfig } from "../../server/config_loader.ts";
import { buildDeps } from "../../server/deps.ts";

if (import.meta.main) {
  const logger = jsonLogger();
  const loaded = await loadServerConfig({ env: Deno.env.toObject() });
  if (loaded.problems.length > 0) throw new Error(loaded.problems.join("\n"));
  const deps = await buildDeps({ config: loaded.config, ...(loaded.ca ? { ca: loaded.ca } : {}), logger });
  await deps.verifier.warmUp();
  const app = createApp(deps);
  const pair = deps.tls.current();
  const server = Deno.serve({
    hostname: loaded.config.listen.hostname,
    port: loaded.config.listen.port,
    ...(pair ? { cert: pair.certPem, key: pair.keyPem } : {}),
    onListen() {},
  }, (req, info) => app.fetch(req, info));
  const url = `${pair ? "https" : "http"}://127.0.0.1:${server.addr.port}`;
  logger.info(`Cert exchange server listening on ${url}`, { url });
  const stop = () => void server.shutdown().then(() => deps.close()).then(() => Deno.exit(0));
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
