/** @module A box for secrets that prints as *** in logs, JSON and inspection. */

const REDACTED = "***";

/** Holds a secret string; only `reveal()` gives it back. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [Symbol.for("Deno.customInspect")](): string {
    return REDACTED;
  }
}
