/** @module Contract of the audit log: one event per line, field names compatible with the original tool. */

export type AuditEventType =
  | "auth_success"
  | "auth_failure"
  | "rbac_denied"
  | "cert_issued"
  | "cert_error"
  | "rate_limited"
  | "ip_denied"
  | "admin_login"
  | "admin_login_failed" // a wrong token in the dashboard's sign-in form
  | "admin_auth_failure"; // a wrong bearer token on the admin API

/** An audit event. Never carries a token, key or secret. */
export interface AuditEvent {
  type: AuditEventType;
  /** RFC 3339; filled in by the sink when absent. */
  timestamp?: string;
  subject?: string;
  email?: string;
  issuer?: string;
  client_ip?: string;
  roles?: string[];
  cert_ttl?: string;
  cert_expiry?: string;
  cert_fingerprint?: string;
  cert_serial?: string;
  /** Failure detail (e.g. the token validation reason). */
  error?: string;
  reason?: string;
  /** On an aggregated `auth_failure`: how many more failures this line stands for (server/audit/failure_aggregator.ts). */
  count?: number;
  "request.id"?: string;
}

export interface AuditSink {
  write(event: AuditEvent): void;
  /** Subscribe to events (admin tracker, metrics). Returns an unsubscribe function. */
  subscribe(listener: (event: Required<Pick<AuditEvent, "timestamp">> & AuditEvent) => void): () => void;
  close(): Promise<void>;
}
