/**
 * @module The audit chain's head as every thread of one process sees it (`workers: N`): a lock, the hash of the last
 * line in the file, the file's size in whole lines, whether a write left bytes to cut, whether the log is writable,
 * and which file (inode) the chain is in now. Each thread appends through its own file handle, holding the lock from
 * reading the head to writing its lines, so the file holds one chain in the order it was built; a thread whose handle
 * is on another file than the chain's moves first (rotation). Without workers the same interface runs on plain fields
 * (`localChain`).
 */

export interface ChainState {
  /** Hold the chain (blocks this thread until no other thread holds it). */
  lock(): void;
  unlock(): void;
  /** The hash of the last line in the file (read and set under the lock). */
  head: string;
  /** Bytes of whole lines in the file. */
  size: number;
  /** A write failed midway: bytes past `size` may be on disk and are cut before the next write. */
  dirty: boolean;
  /** The log can be written (false from a failed write until the owner's retry writes again). */
  healthy: boolean;
  /** The inode of the file the chain is in now (set by whichever thread opened it or saw it rotated). */
  ino: number;
}

const LOCK = 0, DIRTY = 1, HEALTHY = 2;
const INTS = 3, SIZE = 0, INO = 1, FLOATS_AT = 16, HEAD_AT = 32, HEAD_BYTES = 64;
/** How long a waiting thread sleeps between looks at the lock (ms); the holder wakes it on release anyway. */
const WAIT_MS = 5;

/** The chain in a SharedArrayBuffer: made by the owner thread, handed to each worker in its start message. */
export class SharedChain implements ChainState {
  readonly buffer: SharedArrayBuffer;
  #ints: Int32Array;
  #floats: Float64Array;
  #head: Uint8Array;

  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(HEAD_AT + HEAD_BYTES);
    this.#ints = new Int32Array(this.buffer, 0, INTS);
    this.#floats = new Float64Array(this.buffer, FLOATS_AT, 2);
    this.#head = new Uint8Array(this.buffer, HEAD_AT, HEAD_BYTES);
    if (!buffer) Atomics.store(this.#ints, HEALTHY, 1);
  }

  lock(): void {
    while (Atomics.compareExchange(this.#ints, LOCK, 0, 1) !== 0) Atomics.wait(this.#ints, LOCK, 1, WAIT_MS);
  }
  unlock(): void {
    Atomics.store(this.#ints, LOCK, 0);
    Atomics.notify(this.#ints, LOCK, 1);
  }
  get head(): string {
    return String.fromCharCode(...this.#head);
  }
  set head(hash: string) {
    if (hash.length !== HEAD_BYTES) throw new RangeError(`a chain head is ${HEAD_BYTES} hex digits`);
    for (let i = 0; i < HEAD_BYTES; i++) this.#head[i] = hash.charCodeAt(i);
  }
  get size(): number {
    return this.#floats[SIZE]!;
  }
  set size(n: number) {
    this.#floats[SIZE] = n;
  }
  get ino(): number {
    return this.#floats[INO]!;
  }
  set ino(n: number) {
    this.#floats[INO] = n;
  }
  get dirty(): boolean {
    return Atomics.load(this.#ints, DIRTY) === 1;
  }
  set dirty(v: boolean) {
    Atomics.store(this.#ints, DIRTY, v ? 1 : 0);
  }
  get healthy(): boolean {
    return Atomics.load(this.#ints, HEALTHY) === 1;
  }
  set healthy(v: boolean) {
    Atomics.store(this.#ints, HEALTHY, v ? 1 : 0);
  }
}

/** One thread's chain: no lock needed. */
export function localChain(): ChainState {
  return { lock() {}, unlock() {}, head: "", size: 0, dirty: false, healthy: true, ino: 0 };
}
