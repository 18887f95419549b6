/**
 * @module A strict incremental decoder for chunked request bodies (RFC 9112 §7.1): hex sizes of at most 8 digits,
 * CRLF after each size and each chunk's data, extensions and trailers skipped within a byte budget. Anything else is
 * a ChunkedError (the connection cannot be trusted any more and is closed).
 */

/** A chunked body this server refuses to read on. */
export class ChunkedError extends Error {
  override readonly name = "ChunkedError";
}

/** The most bytes of chunk extensions on one size line, and of trailer fields in all. */
const MAX_META_BYTES = 4096;

enum State {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
}

export class ChunkedDecoder {
  #state = State.Size;
  #digits = 0;
  #size = 0;
  #meta = 0;
  /** The data found by the last decode(): bytes[dataFrom, dataTo) (empty when equal). */
  dataFrom = 0;
  dataTo = 0;

  get done(): boolean {
    return this.#state === State.Done;
  }

  /**
   * Consume bytes[pos, end) up to the end of the next data run (or of the input, or of the body); returns the
   * position reached. The data run, if any, is left in dataFrom/dataTo.
   */
  decode(bytes: Uint8Array, pos: number, end: number): number {
    this.dataFrom = this.dataTo = pos;
    while (pos < end) {
      const b = bytes[pos]!;
      switch (this.#state) {
        case State.Size: {
          const v = hex(b);
          if (v >= 0) {
            if (++this.#digits > 8) throw new ChunkedError("chunk size over 8 hex digits");
            this.#size = this.#size * 16 + v;
          } else if (this.#digits === 0) throw new ChunkedError("chunk size expected");
          else if (b === 13) this.#state = State.SizeLf;
          else if (b === 59) (this.#state = State.Ext, this.#meta = 0); // ';' chunk extension
          else throw new ChunkedError("invalid chunk size line");
          break;
        }
        case State.Ext:
          if (b === 13) this.#state = State.SizeLf;
          else if (b === 10 || (b < 32 && b !== 9) || ++this.#meta > MAX_META_BYTES) {
            throw new ChunkedError("invalid chunk extension");
          }
          break;
        case State.SizeLf:
          if (b !== 10) throw new ChunkedError("bare CR after a chunk size");
          if (this.#size === 0) (this.#state = State.TrailerStart, this.#meta = 0);
          else this.#state = State.Data;
          break;
        case State.Data: {
          const take = Math.min(this.#size, end - pos);
          this.dataFrom = pos;
          this.dataTo = pos + take;
          this.#size -= take;
          if (this.#size === 0) this.#state = State.DataCr;
          return pos + take;
        }
        case State.DataCr:
          if (b !== 13) throw new ChunkedError("chunk data longer than its size");
          this.#state = State.DataLf;
          break;
        case State.DataLf:
          if (b !== 10) throw new ChunkedError("bare CR after chunk data");
          this.#state = State.Size;
          this.#digits = 0;
          break;
        case State.TrailerStart:
          if (b === 13) this.#state = State.EndLf;
          else this.#state = State.Trailer, pos--; // re-read this byte as part of a trailer line
          break;
        case State.Trailer:
          if (++this.#meta > MAX_META_BYTES) throw new ChunkedError("trailer fields too large");
          if (b === 13) this.#state = State.TrailerLf;
          else if (b === 10 || (b < 32 && b !== 9)) throw new ChunkedError("invalid trailer field");
          break;
        case State.TrailerLf:
          if (b !== 10) throw new ChunkedError("bare CR in a trailer field");
          this.#state = State.TrailerStart;
          break;
        case State.EndLf:
          if (b !== 10) throw new ChunkedError("bare CR at the end of a chunked body");
          this.#state = State.Done;
          return pos + 1;
        case State.Done:
          return pos;
      }
      pos++;
    }
    return pos;
  }
}

function hex(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  if (b >= 97 && b <= 102) return b - 87;
  if (b >= 65 && b <= 70) return b - 55;
  return -1;
}
