/**
 * @module The connection to Redis/Valkey (npm @redis/client): commands fail fast while it is down (no offline queue,
 * a deadline on each), it reconnects by itself, and each loss and recovery is one log line naming the store.
 */

import { createClient } from "@redis/client";
import type { Logger } from "../../shared/log.ts";
import type { StateStoreConfig } from "../config_scale.ts";
import { storeUnavailable } from "./errors.ts";
import type { StoreHealth } from "./types.ts";

/** A command that has not answered after this long counts as the store being unreachable. */
const COMMAND_DEADLINE_MS = 1_000;
/** How long start-up waits for the first connection before going on without it. */
const STARTUP_WAIT_MS = 2_000;
/** Longest wait between two reconnection attempts. */
const MAX_RECONNECT_MS = 1_000;

type Reply = string | number | null | Reply[];

export interface RedisConnection {
  readonly name: string;
  /** One command; rejects with ERR_STATE_STORE when the store is unreachable or does not answer in time. */
  send(args: (string | number)[]): Promise<Reply>;
  /** Run a Lua script (EVALSHA, loading it on NOSCRIPT). */
  script(lua: Script, keys: string[], args: (string | number)[]): Promise<Reply>;
  /** Listen on a pub/sub channel (a second connection); `onMessage` gets each message. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  health(): StoreHealth;
  close(): Promise<void>;
}

export interface Script {
  lua: string;
  sha: string;
}

/** A Lua script with its SHA-1, as EVALSHA names it. */
export async function script(lua: string): Promise<Script> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(lua)));
  return { lua, sha: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") };
}

/** The URL @redis/client takes: valkey:// and valkeys:// are redis:// and rediss:// on the wire. */
function wireUrl(url: string): string {
  return url.replace(/^valkey(s?):/, "redis$1:");
}

/**
 * Connect (in the background: a store down at start is reported like one lost later, and the server starts anyway,
 * failing closed until it is reachable). The password comes from the URL or `passwordFile`, never from logs.
 */
export async function connectRedis(config: StateStoreConfig, logger: Logger): Promise<RedisConnection> {
  const name = config.display;
  const password = config.passwordFile ? (await Deno.readTextFile(config.passwordFile)).trim() : undefined;
  const options = {
    url: wireUrl(config.url.reveal()),
    ...(password ? { password } : {}),
    RESP: 2 as const,
    disableOfflineQueue: true, // a command while disconnected fails at once: limits and blocks fail closed
    pingInterval: 5_000,
    socket: {
      connectTimeout: 2_000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, MAX_RECONNECT_MS),
    },
  };
  const client = createClient(options);
  const subscriber = client.duplicate();
  let down: string | undefined = "connecting";
  let closed = false;
  const lost = (err: Error) => {
    if (closed) return;
    const first = down === undefined || down === "connecting";
    down = err.message;
    if (first) {
      logger.error(`state store ${name} unreachable; limits and blocks fail closed until it is back`, {
        store: name,
        error: err.message,
      });
    }
  };
  client.on("error", lost);
  subscriber.on("error", () => {}); // its own reconnects; the main connection reports the store's state
  client.on("ready", () => {
    if (down !== undefined && down !== "connecting") {
      logger.info(`state store ${name} reachable again`, { store: name });
    } else logger.info(`state store ${name} connected`, { store: name });
    down = undefined;
  });
  // Wait a little for the first connection, so a healthy store is in use from the first request on; a store down at
  // start is reported like one lost later, and the server starts anyway (failing closed until it is reachable).
  let waited: ReturnType<typeof setTimeout> | undefined;
  await new Promise<void>((resolve) => {
    waited = setTimeout(resolve, STARTUP_WAIT_MS);
    client.once("ready", resolve).once("error", () => resolve()); // up, or refused at once: no need to wait more
    client.connect().catch(lost);
  });
  clearTimeout(waited);
  // Channels are subscribed once the second connection is first up; the client subscribes again after a reconnect.
  const channels = new Map<string, (message: string) => void>();
  let subscribed = false;
  subscriber.on("ready", () => {
    if (subscribed) return;
    subscribed = true;
    for (const [channel, listener] of channels) subscriber.subscribe(channel, listener).catch(() => {});
  });
  subscriber.connect().catch(() => {});

  const deadline = <T>(p: Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(storeUnavailable({ name }, "no answer within 1 s")), COMMAND_DEADLINE_MS);
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  };
  const send = async (args: (string | number)[]): Promise<Reply> => {
    if (!client.isReady) throw storeUnavailable({ name }, down);
    try {
      return await deadline(client.sendCommand(args.map(String)) as Promise<Reply>);
    } catch (err) {
      if (err instanceof Error && err.name === "TalosOidcError") throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (/^(NOSCRIPT|WRONGTYPE|ERR )/.test(message)) throw err; // the store answered: not an outage
      throw storeUnavailable({ name }, message);
    }
  };
  return {
    name,
    send,
    async script(s, keys, args) {
      try {
        return await send(["EVALSHA", s.sha, keys.length, ...keys, ...args]);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
        return await send(["EVAL", s.lua, keys.length, ...keys, ...args]);
      }
    },
    async subscribe(channel, onMessage) {
      channels.set(channel, onMessage);
      if (subscribed) await subscriber.subscribe(channel, onMessage).catch(() => {});
    },
    health: () => (client.isReady ? { ok: true } : { ok: false, detail: `${name} unreachable: ${down}` }),
    async close() {
      closed = true;
      for (const c of [client, subscriber]) {
        try {
          c.destroy();
        } catch { /* already closed */ }
      }
      await Promise.resolve();
    },
  };
}
