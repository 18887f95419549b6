/**
 * @module gRPC client for the Talos API: one long-lived channel per endpoint, a deadline per call, fail-over across
 * endpoints (down, or a worker), the talosconfig re-read when it changes, or the machined unix socket.
 */

import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { TalosOidcError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import { credentialWarning, type TalosCredential } from "./credential.ts";
import { serverIdentity, serverNameFor, type TalosEndpoint } from "./endpoint.ts";
import {
  type GenerateClientConfiguration,
  type GenerateClientConfigurationResponse,
  loadMachineService,
  type MachineService,
  type MachineServiceClient,
  type Metadata,
  type VersionResponse,
} from "./proto.ts";
import { reloadCredential } from "./reload.ts";

/** Where the server reaches the Talos API. */
export type TalosApiTarget =
  | { kind: "talosconfig"; credential: TalosCredential; endpoints: readonly TalosEndpoint[] }
  | { kind: "socket"; path: string };

export interface TalosApiClientOptions {
  target: TalosApiTarget;
  /** Deadline of each call (per endpoint tried). */
  timeoutMs: number;
  logger: Logger;
  now: () => Date;
}

/** One endpoint's failure, for the error, the audit event and the log. */
interface TalosApiFailure {
  endpoint: string;
  /** gRPC status name (UNAVAILABLE, UNIMPLEMENTED, ...) or TALOS_ERROR for a reply whose metadata.error is set. */
  status: string;
  detail: string;
}

export interface TalosApiClient {
  /** GenerateClientConfiguration; resolves with the first message and the endpoint that answered. */
  generate(roles: string[], ttlSeconds: number): Promise<{ endpoint: string; message: GenerateClientConfiguration }>;
  /** Version: the cheap authenticated call behind /readyz. */
  version(): Promise<{ endpoint: string; tag: string }>;
  /** The credential in use (talosconfig mode). */
  credential(): TalosCredential | undefined;
  close(): void;
}

/** The socket mode's role: machined reads roles from this metadata (extension services, Talos ≥ 1.13). */
const SOCKET_ROLE_METADATA = { key: "talos-role", value: "os:admin" } as const;
const MAX_MESSAGE_BYTES = 1 << 20;
/**
 * Close a channel's connection after a minute without calls (the channel stays; the next call reconnects). Deno 2.9's
 * node:http2 can abort the process while receiving a GOAWAY on a long-idle session (denoland/deno#36788), which a
 * node sends when it reboots or upgrades: an idle connection we closed ourselves cannot receive one.
 */
const IDLE_TIMEOUT_MS = 60_000;

/** Channels built for one credential; retired (closed once idle) when the credential file changes. */
class Generation {
  readonly clients = new Map<string, MachineServiceClient>();
  inflight = 0;
  retired = false;
  constructor(readonly service: MachineService, readonly credential?: TalosCredential) {}

  client(endpoint: TalosEndpoint | string): MachineServiceClient {
    const key = typeof endpoint === "string" ? endpoint : endpoint.target;
    let c = this.clients.get(key);
    if (!c) {
      const options: grpc.ChannelOptions = {
        "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
        "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
        "grpc.client_idle_timeout_ms": IDLE_TIMEOUT_MS,
      };
      if (typeof endpoint === "string") {
        c = new this.service.client(`unix://${endpoint}`, grpc.credentials.createInsecure(), options);
      } else {
        const cred = this.credential!;
        const name = serverNameFor(endpoint);
        if (name) options["grpc.ssl_target_name_override"] = name;
        const creds = grpc.credentials.createSsl(
          Buffer.from(cred.caPem),
          Buffer.from(cred.keyPem),
          Buffer.from(cred.certPem),
          { checkServerIdentity: serverIdentity(endpoint) },
        );
        c = new this.service.client(endpoint.target, creds, options);
      }
      this.clients.set(key, c);
    }
    return c;
  }

  /** Forget a channel whose connection failed: the next call dials afresh instead of waiting out grpc's backoff. */
  drop(key: string): void {
    this.clients.get(key)?.close();
    this.clients.delete(key);
  }

  closeIfIdle(): void {
    if (!this.retired || this.inflight > 0) return;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** Build the client. Nothing connects until the first call. */
export function createTalosApiClient(o: TalosApiClientOptions): TalosApiClient {
  const service = loadMachineService();
  const { target, logger } = o;
  let gen = new Generation(service, target.kind === "talosconfig" ? target.credential : undefined);
  let preferred = 0;
  let refreshing: Promise<void> | undefined;
  const stat = { value: undefined as string | undefined };

  /** talosconfig mode: re-read the file when it changed (the ServiceAccount secret rotates every few hours). */
  async function refresh(): Promise<void> {
    if (target.kind !== "talosconfig" || !gen.credential) return;
    const next = await reloadCredential(gen.credential, stat, o.now(), logger);
    if (!next) return;
    const old = gen;
    gen = new Generation(service, next);
    old.retired = true;
    old.closeIfIdle();
    logger.info(`Talos API credential reloaded from ${next.path}`, {
      context: next.context,
      roles: next.roles,
      expires: next.notAfter.toISOString(),
    });
    const warning = credentialWarning(next, o.now());
    if (warning) logger.warn(warning);
  }

  async function call<T>(
    invoke: (client: MachineServiceClient, md: grpc.Metadata, opts: grpc.CallOptions) => Promise<T>,
  ): Promise<{ endpoint: string; value: T }> {
    await (refreshing ??= refresh().finally(() => (refreshing = undefined)));
    const g = gen;
    g.inflight++;
    try {
      const md = new grpc.Metadata();
      const targets: (TalosEndpoint | string)[] = target.kind === "socket" ? [target.path] : [...target.endpoints];
      if (target.kind === "socket") md.set(SOCKET_ROLE_METADATA.key, SOCKET_ROLE_METADATA.value);
      const failures: TalosApiFailure[] = [];
      for (let i = 0; i < targets.length; i++) {
        const index = (preferred + i) % targets.length;
        const t = targets[index]!;
        const name = typeof t === "string" ? `unix://${t}` : t.text;
        try {
          const value = await invoke(g.client(t), md, { deadline: Date.now() + o.timeoutMs });
          preferred = index;
          return { endpoint: name, value };
        } catch (err) {
          const failure = describeFailure(name, err);
          failures.push(failure);
          logger.warn(`Talos API call to ${name} failed: ${failure.status}: ${failure.detail}`);
          if (failure.status === "UNAVAILABLE") g.drop(typeof t === "string" ? t : t.target);
          if (failure.status === "INVALID_ARGUMENT") break; // our request: every node would say the same
        }
      }
      throw talosApiError(failures);
    } finally {
      g.inflight--;
      g.closeIfIdle();
    }
  }

  return {
    async generate(roles, ttlSeconds) {
      const request = { roles, crt_ttl: { seconds: ttlSeconds, nanos: 0 } };
      const { endpoint, value } = await call(async (c, md, opts) =>
        firstMessage(
          (await unary<GenerateClientConfigurationResponse>((cb) =>
            c.GenerateClientConfiguration(request, md, opts, cb)
          )).messages,
        )
      );
      return { endpoint, message: value };
    },
    async version() {
      const { endpoint, value } = await call(async (c, md, opts) =>
        firstMessage((await unary<VersionResponse>((cb) => c.Version({}, md, opts, cb))).messages)
      );
      return { endpoint, tag: value.version?.tag ?? "" };
    },
    credential: () => gen.credential,
    close() {
      gen.retired = true;
      gen.inflight = 0;
      gen.closeIfIdle();
    },
  };
}

/** A reply's first message; a message whose metadata carries an error (apid's proxy sets it) is a failure. */
function firstMessage<M extends { metadata: Metadata | null }>(messages: M[]): M {
  const m = messages[0];
  if (!m) throw new ReplyError("the reply holds no message");
  if (m.metadata?.error) throw new ReplyError(m.metadata.error);
  return m;
}

class ReplyError extends Error {}

function unary<T>(start: (cb: (err: grpc.ServiceError | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value as T))));
}

const WORKER = /only available on control plane nodes|can't be generated on worker nodes/i;

function describeFailure(endpoint: string, err: unknown): TalosApiFailure {
  if (err instanceof ReplyError) return { endpoint, status: "TALOS_ERROR", detail: err.message };
  const e = err as Partial<grpc.ServiceError>;
  const status = typeof e.code === "number" ? (grpc.status[e.code] ?? String(e.code)) : "UNKNOWN";
  const said = (e.details || (err instanceof Error ? err.message : String(err))).slice(0, 300);
  return { endpoint, status, detail: WORKER.test(said) ? `${said} (a worker node: skipped)` : said };
}

function talosApiError(failures: TalosApiFailure[]): TalosOidcError {
  const detail = failures.map((f) => `${f.endpoint}: ${f.status}: ${f.detail}`).join("; ");
  return new TalosOidcError("ERR_TALOS_API", "Talos API unavailable", {
    hint: "check that the endpoints are control-plane nodes reachable from the server and that its credential is valid",
    fields: { failures, detail },
  });
}
