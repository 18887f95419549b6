/** @module The /exchange wire format shared by server and client. */

/** Largest request body `/exchange` accepts, in bytes. */
export const MAX_EXCHANGE_BODY = 64 * 1024;

/** POST /exchange request body. */
export interface ExchangeRequest {
  /** The OIDC ID token (compact JWS). */
  id_token: string;
  /**
   * Optional PEM PKCS#10 CSR. When present the server signs its public key (subject ignored,
   * roles come only from the token) and returns no `key`: the private key never leaves the client.
   */
  csr?: string;
}

/** POST /exchange 200 response body. PEM strings; `key` absent when a CSR was sent. */
export interface ExchangeResponse {
  ca: string;
  cert: string;
  key?: string;
  endpoints: string[];
  nodes?: string[];
  /** Lifetime of the issued certificate in whole seconds (NotAfter - now). */
  ttl_seconds: number;
}

/** Every error response body. `error` text is compatible with the original tool. */
export interface ErrorBody {
  error: string;
  code?: string;
  request_id?: string;
  /** ERR_NO_ROLES only: the claims the server's RBAC rules read (names, never the values they look for). */
  claims?: string[];
}
