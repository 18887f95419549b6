/** @module POST /exchange: ID token in, short-lived Talos client certificate out (verify, map roles, sign, audit). */

import type { Context } from "hono";
import { formatDuration } from "../../shared/duration.ts";
import { isTalosOidcError, TalosOidcError } from "../../shared/errors.ts";
import type { ExchangeResponse } from "../../shared/protocol.ts";
import { isIssuableRole, normaliseRoles } from "../../shared/roles.ts";
import type { AppDeps, AppEnv } from "../app.ts";
import type { AuditEvent } from "../audit/types.ts";
import { auditIdentity, commonNameOf } from "../identity.ts";
import { bodyTooLarge } from "../middleware/body_limit.ts";
import { isInvalidToken } from "../oidc/invalid.ts";
import type { VerifiedIdToken } from "../oidc/types.ts";
import type { IssuedCert } from "../talos_ca/types.ts";
import { subjectRateLimit } from "../middleware/rate_limit.ts";
import { matchBlock } from "../state/blocks.ts";
import { storeUnavailable } from "../state/errors.ts";
import type { Block, BlockSnapshot } from "../state/types.ts";

/**
 * Messages compatible with the original tool (clients and scripts match on them). The 5xx texts ("failed to generate
 * certificate", "identity provider unavailable") are onError's, by code.
 */
const MESSAGES = Object.freeze({
  invalidJson: "invalid JSON",
  idTokenRequired: "id_token is required",
  noRoles: "no roles assigned - user does not match any RBAC rules",
});

/** Seconds a client is asked to wait when the issuer's keys cannot be fetched. */
const IDP_RETRY_AFTER_SECONDS = 30;

/**
 * The exchange handler. Every client mistake is a 4xx; only our own failures are 5xx. Refusals are thrown as coded
 * errors (status from HTTP_STATUS) for onError to answer, after they are audited here.
 */
export function exchangeRoute(deps: AppDeps): (c: Context<AppEnv>) => Promise<Response> {
  const { config, audit, verifier, issuer, logger } = deps;
  const failures = deps.authFailures ?? { report: (e: AuditEvent) => audit.write(e) };
  const ttlText = formatDuration(config.certTtlMs);
  const subjectLimit = subjectRateLimit({ limiter: deps.state.limiter("subject"), audit, metrics: deps.metrics });
  const blocks = deps.state.blocks;

  return async function exchange(c) {
    const base = { client_ip: c.var.clientIp, "request.id": c.var.requestId };
    c.header("Cache-Control", "no-store");
    const { idToken, csrPem } = await readJsonBody(c.req.raw);
    // Fail closed: while the audit log cannot be written nothing is verified or signed. committed() asks the log
    // itself (a worker's health() is the owner's last note, up to a poll behind): it rejects with ERR_AUDIT (503)
    // while the log is down, and only then is the refusal written (counted in the log's audit_gap line). A request
    // that finds the log already back goes on, with no cert_error line for an error that did not happen.
    if (!audit.health().writable) {
      await audit.committed().catch((err) => {
        audit.write({ type: "cert_error", ...base, error: "the audit log cannot be written" });
        throw err;
      });
    }

    let verified: VerifiedIdToken;
    try {
      verified = await verifier.verify(idToken);
    } catch (err) {
      if (!isInvalidToken(err)) throw err;
      const { reason, detail } = err.fields;
      failures.report({ type: "auth_failure", ...base, issuer: config.issuerUrl, reason, error: detail });
      if (reason !== "jwks_unavailable") throw err;
      throw new TalosOidcError("ERR_DISCOVERY", "the issuer's signing keys could not be fetched", {
        cause: err,
        fields: { retryAfterSeconds: IDP_RETRY_AFTER_SECONDS },
      });
    }
    const claims = verified.claims;
    const who: Omit<AuditEvent, "type"> = { ...base, ...auditIdentity(claims), issuer: claims.iss };
    c.set("claims", claims);
    audit.write({ type: "auth_success", ...who });

    const block = blockFor(blocks.snapshot(), claims, who, deps);
    if (block) {
      audit.write({ type: "subject_blocked", ...who, reason: block.reason, error: `block ${block.id}` });
      throw new TalosOidcError("ERR_BLOCKED", "access blocked by an administrator");
    }
    await subjectLimit.check(c, claims.sub, claims.iss);

    const decision = deps.roleMapper?.map(claims, claims.iss);
    const roles = normaliseRoles(decision ? decision.roles : config.roles).filter(isIssuableRole);
    if (roles.length === 0) {
      audit.write({ type: "rbac_denied", ...who, error: MESSAGES.noRoles });
      // The names of the claims the rules read (never their values) let the client say which claim to bring.
      throw new TalosOidcError("ERR_NO_ROLES", MESSAGES.noRoles, { fields: { claims: decision?.claims ?? [] } });
    }

    const now = deps.clock.now();
    let cert: IssuedCert;
    try {
      cert = await issuer.issue({ roles, commonName: commonNameOf(claims), ttlMs: config.certTtlMs, now, csrPem });
    } catch (err) {
      // ERR_TALOS_API's detail names each endpoint tried and its gRPC status (never a key or token).
      const detail = isTalosOidcError(err, "ERR_TALOS_API") ? `: ${err.fields?.detail ?? ""}` : "";
      audit.write({
        type: "cert_error",
        ...who,
        roles,
        error: isTalosOidcError(err) ? `${err.message}${detail}` : "signing failed",
      });
      if (isTalosOidcError(err, "ERR_TALOS_API")) {
        logger.error("issuing through the Talos API failed", {
          request_id: c.var.requestId,
          detail: err.fields?.detail,
        });
        throw err; // 502 "Talos API unavailable" (HTTP_STATUS), answered by onError
      }
      if (isTalosOidcError(err) && err.status < 500) throw err; // the CSR's fault (ERR_INVALID_CSR)
      throw new TalosOidcError("ERR_CERT_ISSUE", "issuing a certificate failed", { cause: err });
    }

    const ttlSeconds = Math.max(0, Math.floor((cert.notAfter.getTime() - now.getTime()) / 1000));
    const response: ExchangeResponse = {
      ca: cert.caPem,
      cert: cert.certPem,
      ...(cert.keyPem !== undefined ? { key: cert.keyPem } : {}),
      endpoints: [...config.endpoints],
      ...(config.nodes.length > 0 ? { nodes: [...config.nodes] } : {}),
      ttl_seconds: ttlSeconds,
    };
    audit.write({
      type: "cert_issued",
      ...who,
      roles,
      cert_ttl: ttlText,
      cert_expiry: cert.notAfter.toISOString(),
      cert_fingerprint: cert.fingerprint,
      cert_serial: cert.serial,
    });
    await audit.committed(); // no certificate leaves without its line: ERR_AUDIT (503) when it could not be written
    logger.info(`Issued ephemeral certificate (TTL: ${ttlText}, Roles: [${roles.join(" ")}])`, {
      request_id: c.var.requestId,
      subject: claims.sub,
      serial: cert.serial,
      csr: csrPem !== undefined,
    });
    return c.json(response);
  };
}

/**
 * The block that applies to this token now. A copy of the list that may be stale (the state store unreachable) fails
 * closed with ERR_STATE_STORE, unless `state_store_fail_open` says to go on with the last known list.
 */
function blockFor(
  snapshot: BlockSnapshot,
  claims: VerifiedIdToken["claims"],
  who: { subject?: string; email?: string },
  deps: AppDeps,
): Block | undefined {
  if (!snapshot.fresh && !deps.config.stateStoreFailOpen) throw storeUnavailable(deps.state);
  const raw = (v: unknown) => (typeof v === "string" && v !== "" ? [v] : []);
  const subjects = [...raw(claims.sub), ...raw(who.subject)];
  const emails = [...raw(claims.email), ...raw(who.email)];
  return matchBlock(snapshot.blocks, { subjects, emails }, deps.clock.now().getTime());
}

const bad = (message: string) => new TalosOidcError("ERR_INVALID_REQUEST", message);

/**
 * The JSON document. Its size is bounded before this reads a byte: bodyLimit() (mounted by createApp) refused a
 * declared length over MAX_EXCHANGE_BODY and cuts a streamed body off there. A body that fails to arrive whole is
 * ERR_BODY_TOO_LARGE (413, as the original tool answers); a bad document ERR_INVALID_REQUEST.
 */
async function readJsonBody(req: Request): Promise<{ idToken: string; csrPem?: string }> {
  let bytes: ArrayBuffer;
  try {
    bytes = await req.arrayBuffer();
  } catch {
    throw bodyTooLarge();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw bad(MESSAGES.invalidJson);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw bad(MESSAGES.invalidJson);
  const { id_token: idToken, csr } = parsed as Record<string, unknown>;
  if (idToken === undefined || idToken === null || idToken === "") throw bad(MESSAGES.idTokenRequired);
  if (typeof idToken !== "string" || (csr !== undefined && csr !== null && typeof csr !== "string")) {
    throw bad(MESSAGES.invalidJson); // a wrongly typed field, as Go's json.Unmarshal reports it
  }
  return typeof csr === "string" && csr !== "" ? { idToken, csrPem: csr } : { idToken };
}
