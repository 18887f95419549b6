/** @module Contracts between client modules: token cache and talosconfig writer. */

/** What the token cache stores (JSON shape compatible with the original tool, plus fields). */
export interface CachedToken {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  /** RFC 3339 expiry of the access token (original tool's field). */
  expires_at?: string;
  issuer: string;
  client_id: string;
  /**
   * The scopes the tokens were requested with, sorted (absent in entries of older versions and the original tool):
   * an entry is reused only for the same scopes, as asking for a scope later (`groups`) needs a new sign-in.
   */
  scopes?: string[];
  /**
   * When the exchange server granted the ID token of this entry no roles (RFC 3339). The ID token is dropped then;
   * the next login says why it refreshes or signs in instead of silently sending the same claims again.
   */
  no_roles_at?: string;
}

export interface CacheKey {
  /** Context name = keychain account. */
  context: string;
  issuer: string;
  clientId: string;
  /** The requested scopes, sorted and de-duplicated (recorded with the entry by put). */
  scopes?: readonly string[];
}

export type CacheBackend = "keychain" | "file";

/** The credential material login writes into a talosconfig context (PEM strings). */
export interface ContextCredentials {
  endpoints: string[];
  /** Server-provided nodes; used only when the context has no nodes yet (see mergeContext). */
  nodes?: string[];
  /** Explicit --nodes: always wins. */
  nodesOverride?: string[];
  /** login --no-switch: leave the talosconfig's `context:` as it is (default: the written context becomes current). */
  keepCurrent?: boolean;
  ca: string;
  crt: string;
  key: string;
}
