/** @module Why reading a request body stopped: the listener's cap, or a client that left. */

/** The body grew past the listener's cap (no route takes that much). */
export class BodyOverCap extends RangeError {
  override readonly name = "BodyOverCap";
}

/** The client closed or broke the connection before the body ended: nobody is left to answer. */
export class ClientGone extends Error {
  override readonly name = "ClientGone";
}
