/** @module Reading a whole body, but never more than a byte limit: an oversized body is refused as soon as it shows. */

/** The body is larger than the limit: reading stopped there and its source was cancelled. */
export class BodyTooLarge extends RangeError {
  override readonly name = "BodyTooLarge";
  constructor(readonly limit: number) {
    super(`the body is larger than ${limit} bytes`);
  }
}

/**
 * Every byte of `body` (a fetch body, or a node stream such as an IncomingMessage). Throws BodyTooLarge, having
 * cancelled the source (so nothing more is read or buffered), when `declaredLength` (a Content-Length value) says more
 * than `max` bytes, or once the bytes read pass `max`. A null body reads as empty. Failures of the source itself (the
 * network, an abort signal) propagate unchanged.
 */
export async function readCapped(
  body: AsyncIterable<Uint8Array> | null,
  max: number,
  declaredLength?: string | null,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array();
  if (Number(declaredLength ?? 0) > max) {
    await body[Symbol.asyncIterator]().return?.(); // a ReadableStream is cancelled, a node stream destroyed
    throw new BodyTooLarge(max);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) { // leaving the loop early (the throw) cancels the source
    size += chunk.byteLength;
    if (size > max) throw new BodyTooLarge(max);
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
