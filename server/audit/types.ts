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
  | "admin_auth_failure" // a wrong bearer token on the admin API
  | "audit_gap" // written when the log can be written again: how many events it could not record, by type
  | "audit_repaired" // written at start when a torn last line was moved aside
  | "subject_blocked" // a valid token of a blocked identity refused at /exchange
  | "admin_block" // an administrator blocked an identity
  | "admin_unblock"; // an administrator removed a block

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
  /** On an `audit_gap` line: the events not recorded, by type (their sum is `count`). */
  counts?: Record<string, number>;
  "request.id"?: string;
}

/** Whether the audit log can be written now; when not, since when, why, and how many events it missed so far. */
export type AuditHealth =
  | { writable: true }
  | { writable: false; since: string; error: string; notRecorded: number };

export interface AuditSink {
  /** Queue one line; it reaches the log at the end of the current tick, together with the tick's other lines. */
  write(event: AuditEvent): void;
  /**
   * Resolves once every event written so far is in the log; rejects with ERR_AUDIT when it could not be written.
   * Whoever must not act before its line is recorded (a certificate handed out) awaits it.
   */
  committed(): Promise<void>;
  health(): AuditHealth;
  /** Subscribe to events once they are written (admin tracker, metrics). Returns an unsubscribe function. */
  subscribe(listener: (event: Required<Pick<AuditEvent, "timestamp">> & AuditEvent) => void): () => void;
  close(): Promise<void>;
}
