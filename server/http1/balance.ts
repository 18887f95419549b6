/**
 * @module Keep-alive connections spread evenly over the event loops sharing a port (workers: N): SO_REUSEPORT hashes
 * each new connection to a loop and keep-alive pins it there, so a few long-lived clients (a proxy, a load generator)
 * can leave one loop with most of them while another idles. Each loop counts its connections in shared memory; one
 * holding more than its share (plus one) closes a connection after an answer (`Connection: close`), at most one every
 * SHED_GAP_MS, and the client's reconnect lands on any loop.
 */

/** Least time between two connections one loop closes to rebalance (ms). */
const SHED_GAP_MS = 50;

export interface LoopBalance {
  /** One int32 per loop: its open connections. */
  buffer: SharedArrayBuffer;
  /** This loop's slot. */
  index: number;
}

export interface Balancer {
  opened(): void;
  closed(): void;
  /** Whether the connection that just got an answer should close so that the loops even out. */
  shed(): boolean;
}

/** The shared buffer for `loops` event loops. */
export function balanceBuffer(loops: number): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * loops);
}

export function balancer(b: LoopBalance, now = () => performance.now()): Balancer {
  const counts = new Int32Array(b.buffer);
  let last = -Infinity;
  return {
    opened: () => void Atomics.add(counts, b.index, 1),
    closed: () => void Atomics.sub(counts, b.index, 1),
    shed() {
      let total = 0;
      for (let i = 0; i < counts.length; i++) total += Atomics.load(counts, i);
      if (Atomics.load(counts, b.index) <= Math.ceil(total / counts.length) + 1) return false;
      const t = now();
      if (t - last < SHED_GAP_MS) return false;
      last = t;
      return true;
    },
  };
}
