/** @module Admin dashboard sessions: random ids kept server-side (hashed), absolute 24 h lifetime, bounded store. */

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export interface Session {
  /** Per-session CSRF token for forms posted while signed in. */
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

/** Absolute session lifetime: 24 h, never extended (the cookie's Max-Age says the same). */
export const SESSION_TTL_MS = 24 * 3_600_000;

/** The key a session is kept under: SHA-256 of the cookie value, so a store dump holds no usable cookie. */
export function sessionKey(id: string): string {
  return createHash("sha256").update(id).digest("hex");
}

export interface SessionStoreOptions {
  /** Absolute lifetime (default 24 h; no sliding renewal). */
  ttlMs?: number;
  /** Most live sessions (default 1,000); the oldest is dropped first. */
  maxSessions?: number;
  now?: () => number;
}

export interface SessionStore {
  /** Start a session; returns the cookie value (only ever held by the browser) and the session. */
  create(): { id: string; session: Session };
  /** The live session for a cookie value, or undefined. */
  get(id: string | undefined): Session | undefined;
  destroy(id: string | undefined): void;
  size(): number;
}

/** A random URL-safe token of `bytes` bytes. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** Compare two short strings in constant time (digests, so lengths do not leak). */
export function tokensEqual(a: string, b: string): boolean {
  const h = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

/**
 * The store keys sessions by SHA-256 of the id, so neither a memory dump nor lookup timing
 * gives a usable cookie. Expired sessions are purged on every create and get.
 */
export function createSessionStore(options: SessionStoreOptions = {}): SessionStore {
  const ttl = options.ttlMs ?? SESSION_TTL_MS;
  const max = options.maxSessions ?? 1000;
  const now = options.now ?? Date.now;
  const sessions = new Map<string, Session>();
  const key = sessionKey;
  const purge = (t: number) => {
    for (const [k, s] of sessions) if (s.expiresAt <= t) sessions.delete(k);
  };
  return {
    create() {
      const t = now();
      purge(t);
      const id = randomToken(32);
      const session: Session = { csrf: randomToken(32), createdAt: t, expiresAt: t + ttl };
      sessions.set(key(id), session);
      while (sessions.size > max) sessions.delete(sessions.keys().next().value!);
      return { id, session };
    },
    get(id) {
      if (!id || id.length > 128) return undefined;
      const t = now();
      purge(t);
      return sessions.get(key(id));
    },
    destroy(id) {
      if (id) sessions.delete(key(id));
    },
    size: () => sessions.size,
  };
}
