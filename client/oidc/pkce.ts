/** @module PKCE (RFC 7636), state and nonce values, and the constant-time compare used to check them. */

/** A PKCE pair: the secret verifier kept here and the S256 challenge sent to the IdP. */
export interface Pkce {
  verifier: string;
  challenge: string;
  method: "S256";
}

/** base64url without padding (RFC 7636 Appendix A). */
export function base64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `bytes` random bytes as base64url: used for state and nonce (128 bits by default). */
export function randomToken(bytes = 16): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * A fresh PKCE pair: 32 random bytes → 43-character verifier (RFC 7636 §4.1),
 * challenge = BASE64URL(SHA-256(verifier)) (§4.2, method S256 only; "plain" is never offered).
 */
export async function createPkce(): Promise<Pkce> {
  const verifier = randomToken(32);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: base64Url(new Uint8Array(digest)), method: "S256" };
}

/** Compare two strings in time independent of where they differ (state, nonce). */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
