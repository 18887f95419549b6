/**
 * @module Calls and one-way notes between the owner thread and a worker thread, over one MessagePort-like pipe.
 * Everything one side sends within a tick leaves as one postMessage (an array, delivered and handled in order), so
 * a busy worker pays one cross-thread wake-up per tick, not one per request.
 */

import { isTalosOidcError, TalosOidcError } from "../../shared/errors.ts";

/** A Worker, or the worker's own global scope. */
export interface Pipe {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

// deno-lint-ignore no-explicit-any
export type Handler = (...args: any[]) => unknown;

const CALL = 0, RESOLVE = 1, REJECT = 2, NOTE = 3;
type Message =
  | [typeof CALL, number, string, unknown[]]
  | [typeof RESOLVE, number, unknown]
  | [typeof REJECT, number, ErrorData]
  | [typeof NOTE, string, unknown[]];

/** An error as it crosses threads: a coded error keeps its code, hint and fields; anything else its message. */
interface ErrorData {
  code?: string;
  message: string;
  hint?: string;
  fields?: unknown;
}

export interface Channel {
  /** Ask the other side; resolves with what its handler returned (or rejects with what it threw). */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
  /** Tell the other side; no answer. Notes and calls are handled in the order they were sent. */
  note(method: string, ...args: unknown[]): void;
  /** Handlers for the other side's calls and notes, by method name. */
  serve(handlers: Readonly<Record<string, Handler>>): void;
  /** Fail every call still waiting (the other side is gone) and refuse new ones. */
  close(reason: Error): void;
}

/** Wrap `pipe`; its onmessage is taken over. */
export function createChannel(pipe: Pipe): Channel {
  let outbox: Message[] = [];
  let nextId = 1;
  let closed: Error | undefined;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let handlers: Readonly<Record<string, Handler>> = {};

  const flush = () => {
    const batch = outbox;
    outbox = [];
    try {
      pipe.postMessage(batch);
    } catch {
      // One message that cannot be cloned must not sink the others: send them one by one, fail the bad ones.
      for (const m of batch) {
        try {
          pipe.postMessage([m]);
        } catch (err) {
          if (m[0] === CALL) settle(m[1], undefined, new TypeError(`cannot send ${m[2]}: ${describe(err)}`));
          else if (m[0] === RESOLVE) pipe.postMessage([[REJECT, m[1], { message: `cannot answer: ${describe(err)}` }]]);
        }
      }
    }
  };
  const send = (m: Message) => {
    if (outbox.length === 0) queueMicrotask(flush);
    outbox.push(m);
  };
  const settle = (id: number, value: unknown, err?: Error) => {
    const w = waiting.get(id);
    if (!w) return;
    waiting.delete(id);
    if (err) w.reject(err);
    else w.resolve(value);
  };
  const answer = (id: number, run: () => unknown) => {
    let result: unknown;
    try {
      result = run();
    } catch (err) {
      return send([REJECT, id, toData(err)]);
    }
    if (result instanceof Promise) {
      result.then((v) => send([RESOLVE, id, v]), (err) => send([REJECT, id, toData(err)]));
    } else send([RESOLVE, id, result]);
  };
  const handle = (m: Message) => {
    switch (m[0]) {
      case CALL: {
        const h = handlers[m[2]];
        if (!h) return send([REJECT, m[1], { message: `no handler for "${m[2]}"` }]);
        return answer(m[1], () => h(...m[3]));
      }
      case RESOLVE:
        return settle(m[1], m[2]);
      case REJECT:
        return settle(m[1], undefined, fromData(m[2]));
      case NOTE:
        return void handlers[m[1]]?.(...m[2]);
    }
  };
  pipe.onmessage = (e: MessageEvent) => {
    for (const m of e.data as Message[]) handle(m);
  };

  return {
    call<T>(method: string, ...args: unknown[]): Promise<T> {
      if (closed) return Promise.reject(closed);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        send([CALL, id, method, args]);
      });
    },
    note(method, ...args) {
      if (!closed) send([NOTE, method, args]);
    },
    serve(h) {
      handlers = h;
    },
    close(reason) {
      closed = reason;
      for (const [id] of waiting) settle(id, undefined, reason);
    },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function toData(err: unknown): ErrorData {
  if (isTalosOidcError(err)) {
    return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}), fields: err.fields };
  }
  return { message: describe(err) };
}

function fromData(d: ErrorData): Error {
  if (!d.code) return new Error(d.message);
  // deno-lint-ignore no-explicit-any
  return new TalosOidcError(d.code as any, d.message, { ...(d.hint ? { hint: d.hint } : {}), fields: d.fields as any });
}
