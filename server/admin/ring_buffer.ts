/** @module A fixed-capacity ring buffer: O(1) push that overwrites the oldest item, oldest-first reads. */

/** Keeps the newest `capacity` items. Reads copy; pushes never move the items already held. */
export interface RingBuffer<T> {
  readonly capacity: number;
  readonly size: number;
  /** Append `item`; when full, the oldest item is dropped (O(1), unlike Array.prototype.splice(0, 1)). */
  push(item: T): void;
  /** The items, oldest first (a new array). */
  toArray(): T[];
}

/**
 * A ring of at most `capacity` items, seeded with the newest `capacity` of `initial` (oldest first).
 * @throws {RangeError} when `capacity` is not a positive integer.
 */
export function createRingBuffer<T>(capacity: number, initial: readonly T[] = []): RingBuffer<T> {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer");
  const items: T[] = initial.slice(-capacity);
  let next = items.length % capacity; // slot the next push writes once the ring is full
  return {
    capacity,
    get size() {
      return items.length;
    },
    push(item) {
      if (items.length < capacity) items.push(item);
      else items[next] = item;
      next = (next + 1) % capacity;
    },
    toArray() {
      return items.length < capacity ? items.slice() : [...items.slice(next), ...items.slice(0, next)];
    },
  };
}
