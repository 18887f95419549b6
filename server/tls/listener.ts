/**
 * @module The HTTP(S) listener: Deno.serve with the TLS source's key pair, restarted gracefully when it changes.
 *
 * Deno.serve cannot swap certificates on a live listener, and SO_REUSEPORT for TLS listeners needs
 * `--unstable-net`. So a swap is: graceful shutdown of the old server (it stops accepting at once,
 * in-flight requests finish on their connections), then bind the same port again (retrying for up to
 * two seconds while the old socket closes). Connections attempted in that gap (a few milliseconds,
 * measured) are refused and retried by clients; keep-alive clients reconnect and see the new pair.
 */

import type { Logger } from "../../shared/log.ts";
import type { TlsSource } from "./source.ts";

export interface ListenerOptions {
  hostname: string;
  port: number;
  handler: Deno.ServeHandler<Deno.NetAddr>;
  tls: TlsSource;
  logger: Logger;
  /** How often the TLS source is asked for new material (default 60 s, like the original reloader). */
  checkIntervalMs?: number;
  now?: () => Date;
}

export interface Listener {
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Times the listener was restarted with new TLS material. */
  readonly restarts: number;
  /** Run a TLS refresh check now; true when the listener was restarted. */
  checkNow(): Promise<boolean>;
  /** Stop accepting, let in-flight requests finish, resolve when everything is closed. */
  shutdown(): Promise<void>;
}

const REBIND_DEADLINE_MS = 2000;

/** Start serving; periodic TLS checks restart the listener when the pair changes. */
export function startListener(options: ListenerOptions): Listener {
  const { logger, tls } = options;
  const now = options.now ?? (() => new Date());
  const serve = (port: number) => {
    const pair = tls.current();
    return Deno.serve({
      hostname: options.hostname,
      port,
      onListen: () => {},
      ...(pair ? { cert: pair.certPem, key: pair.keyPem } : {}),
    }, options.handler);
  };
  let server = serve(options.port);
  const port = server.addr.port;
  let restarts = 0;
  let stopped = false;
  let checking: Promise<boolean> | undefined;
  const draining = new Set<Promise<void>>();

  const swap = async () => {
    const old = server;
    const done = old.shutdown();
    draining.add(done);
    done.finally(() => draining.delete(done));
    const deadline = Date.now() + REBIND_DEADLINE_MS;
    for (;;) {
      try {
        server = serve(port);
        break;
      } catch (err) {
        if (!(err instanceof Deno.errors.AddrInUse) || Date.now() > deadline) {
          logger.error("restarting the listener with the new TLS certificate failed", { error: err });
          throw err;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    restarts++;
    logger.info("listener restarted with the new TLS certificate", { port });
  };

  const check = (): Promise<boolean> => {
    if (stopped) return Promise.resolve(false);
    checking ??= (async () => {
      try {
        if (!(await tls.refresh(now())) || stopped) return false;
        await swap();
        return true;
      } finally {
        checking = undefined;
      }
    })();
    return checking;
  };
  const timer = tls.mode === "insecure" ? undefined : setInterval(() => {
    check().catch(() => {});
  }, options.checkIntervalMs ?? 60_000);

  return {
    get addr() {
      return server.addr;
    },
    get restarts() {
      return restarts;
    },
    checkNow: check,
    async shutdown() {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      await checking?.catch(() => {});
      await Promise.all([server.shutdown(), ...draining]);
    },
  };
}
