/** @module The one error type for everything a user or caller must handle, with stable codes. */

/** Closed set of stable error codes. Add new codes here, never ad-hoc strings. */
export type ErrorCode =
  | "ERR_CONFIG" // configuration is missing, malformed or inconsistent
  | "ERR_USAGE" // bad command-line usage
  | "ERR_INVALID_REQUEST" // malformed request body (HTTP 400)
  | "ERR_BODY_TOO_LARGE" // request body over the limit (HTTP 413)
  | "ERR_INVALID_TOKEN" // ID token failed validation (HTTP 401)
  | "ERR_NO_ROLES" // token valid but no RBAC rule granted a role (HTTP 403)
  | "ERR_FORBIDDEN" // IP not allowed, admin token wrong (HTTP 403)
  | "ERR_UNAUTHORIZED" // credentials missing (HTTP 401)
  | "ERR_RATE_LIMITED" // too many requests (HTTP 429)
  | "ERR_NOT_FOUND" // no such route or resource (HTTP 404)
  | "ERR_METHOD_NOT_ALLOWED" // wrong HTTP method (HTTP 405)
  | "ERR_INVALID_CSR" // CSR malformed or its signature does not verify (HTTP 400)
  | "ERR_CA" // the Talos CA could not be loaded or used
  | "ERR_CERT_ISSUE" // signing the certificate failed (HTTP 500)
  | "ERR_TALOS_API" // the Talos API issuing backend is unreachable or refused (HTTP 502)
  | "ERR_TLS" // TLS material could not be loaded or generated
  | "ERR_DISCOVERY" // OIDC discovery or JWKS fetch failed
  | "ERR_OIDC" // the IdP answered with an error during a flow
  | "ERR_TIMEOUT" // an interactive flow took too long
  | "ERR_EXCHANGE" // the exchange server refused or failed
  | "ERR_TALOSCONFIG" // talosconfig unreadable, unparsable or unwritable
  | "ERR_KUBECONFIG" // kubeconfig unreadable, unparsable or unwritable, or without the entry asked for
  | "ERR_TOKEN_CACHE" // token cache unreadable or unwritable
  | "ERR_AUDIT" // audit log broken or unwritable
  | "ERR_STATE_STORE" // the shared state store (Redis/Valkey, or the owner thread) cannot be reached (HTTP 503)
  | "ERR_BLOCKED" // an administrator blocked this identity (HTTP 403)
  | "ERR_IO" // other file or network I/O
  | "ERR_INTERNAL"; // a bug or an unexpected failure (HTTP 500 with a request id; details only in the log)

/**
 * HTTP status for each code; anything not listed is a 500. This table alone decides a status: server code throws a
 * coded error and never passes a number next to it.
 */
export const HTTP_STATUS: Readonly<Partial<Record<ErrorCode, number>>> = Object.freeze({
  ERR_INVALID_REQUEST: 400,
  ERR_INVALID_CSR: 400,
  ERR_UNAUTHORIZED: 401,
  ERR_INVALID_TOKEN: 401,
  ERR_NO_ROLES: 403,
  ERR_BLOCKED: 403,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_BODY_TOO_LARGE: 413,
  ERR_RATE_LIMITED: 429,
  ERR_CERT_ISSUE: 500,
  ERR_INTERNAL: 500,
  ERR_DISCOVERY: 503, // the IdP's discovery or keys could not be fetched: an outage upstream, worth a retry
  ERR_TALOS_API: 502,
  ERR_AUDIT: 503, // the audit log cannot be written: no certificate is handed out until it can
  ERR_STATE_STORE: 503, // limits and blocks cannot be checked: fail closed, worth a retry
});

/**
 * The structured fields each code carries: what callers branch on, typed per code (as jose's
 * JWTClaimValidationFailed has `.claim` and `.reason`). A code not listed carries none. Other modules add codes'
 * fields with `declare module` (server/oidc/invalid.ts types ERR_INVALID_TOKEN's reason), as hono's
 * ContextVariableMap is extended.
 */
export interface ErrorFieldMap {
  /** The server asks the client to wait (the Retry-After header, RFC 9110 §10.2.3). */
  ERR_RATE_LIMITED: { readonly retryAfterSeconds?: number };
  ERR_DISCOVERY: { readonly retryAfterSeconds?: number };
  ERR_AUDIT: { readonly retryAfterSeconds?: number };
  /** The store's URL without its password ("memory" in process), and how long to wait. */
  ERR_STATE_STORE: { readonly store?: string; readonly retryAfterSeconds?: number };
  /** The WWW-Authenticate challenge to send with the 401 (RFC 6750 §3). */
  ERR_UNAUTHORIZED: { readonly challenge?: string };
  /** The methods the path answers (the Allow header, RFC 9110 §15.5.6). */
  ERR_METHOD_NOT_ALLOWED: { readonly allow?: string };
  /** Every problem found, one sentence each (config and RBAC validation report all at once). */
  ERR_CONFIG: { readonly problems?: readonly string[] };
  /** Each Talos API endpoint tried, its gRPC status and what it said; `detail` joins them for logs and the audit. */
  ERR_TALOS_API: {
    readonly failures?: readonly { endpoint: string; status: string; detail: string }[];
    readonly detail?: string;
  };
  /** The claims (names or dotted paths, never values) the RBAC rules for the token's issuer read. */
  ERR_NO_ROLES: { readonly claims?: readonly string[] };
  /**
   * The exchange server's HTTP status, its stable `code` from the response body, its X-Request-Id, and (for
   * ERR_NO_ROLES) the claims its rules read, when it answered.
   */
  ERR_EXCHANGE: {
    readonly status?: number;
    readonly serverCode?: string;
    readonly requestId?: string;
    readonly claims?: readonly string[];
  };
}

/** Each code's fields type: its ErrorFieldMap entry, `never` (no fields) for a code not listed there. */
type FieldsByCode = { readonly [K in ErrorCode]: K extends keyof ErrorFieldMap ? ErrorFieldMap[K] : never };

/** The fields of code `C` (what `err.fields` holds after `isTalosOidcError(err, C)`). */
export type ErrorFields<C extends ErrorCode> = FieldsByCode[C];

export interface TalosOidcErrorOptions<C extends ErrorCode = ErrorCode> {
  /** What the user can do about it. Printed as `hint: ...` by the CLI. */
  hint?: string;
  /** The underlying error. Never include a token, key or secret in it. */
  cause?: unknown;
  /** The code's structured fields (ErrorFieldMap); never a secret. */
  fields?: ErrorFields<C>;
}

/** An expected failure with a stable code. Messages never contain secrets. */
export class TalosOidcError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = "TalosOidcError";
  readonly code: C;
  readonly hint?: string;
  readonly fields?: ErrorFields<C>;

  constructor(code: C, message: string, options: TalosOidcErrorOptions<C> = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.fields = options.fields;
  }

  /** HTTP status for this error's code (500 when it has none). */
  get status(): number {
    return HTTP_STATUS[this.code] ?? 500;
  }
}

/** True when `err` is a TalosOidcError, optionally with the given code. */
export function isTalosOidcError<C extends ErrorCode = ErrorCode>(err: unknown, code?: C): err is TalosOidcError<C> {
  return err instanceof TalosOidcError && (code === undefined || err.code === code);
}

/** One-line description of an error and its cause chain, for `-v` output. */
export function describeCauses(err: unknown): string[] {
  const lines: string[] = [];
  let cur: unknown = err instanceof Error ? err.cause : undefined;
  for (let depth = 0; cur !== undefined && depth < 8; depth++) {
    lines.push(cur instanceof Error ? `${cur.name}: ${cur.message}` : String(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return lines;
}
