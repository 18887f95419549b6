/** @module Test-only reference verifier: jose's jwtVerify plus our documented extra rules, written independently. */

import { Buffer } from "node:buffer";
import * as jose from "jose";
import type { InvalidTokenReason } from "../../server/oidc/types.ts";

export interface ReferenceOptions {
  issuer: string;
  clientId: string;
  now: Date;
  toleranceSec: number;
  algorithms: string[];
  /** max_token_age in seconds (default 86400). */
  maxLifetimeSec?: number;
}

export type Outcome =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; reason: InvalidTokenReason | "other"; why: string };

/** What jose alone says about a token, with its error mapped onto our reasons (for comparing refusals). */
export async function joseOutcome(token: string, keys: jose.JWTVerifyGetKey, o: ReferenceOptions): Promise<Outcome> {
  try {
    const { payload } = await jose.jwtVerify(token, keys, {
      issuer: o.issuer,
      audience: o.clientId,
      algorithms: o.algorithms,
      clockTolerance: o.toleranceSec,
      requiredClaims: ["exp", "sub"],
      currentDate: o.now,
    });
    return { ok: true, claims: payload as Record<string, unknown> };
  } catch (err) {
    return { ok: false, reason: mapJoseError(err), why: err instanceof Error ? `${err.name}: ${err.message}` : "?" };
  }
}

/** jose's verdict, then the rules we add on top of it (see server/oidc/claims.ts and verifier.ts). */
export async function referenceOutcome(token: string, keys: jose.JWTVerifyGetKey, o: ReferenceOptions) {
  const extra = extraRules(token, o);
  if (extra) return { ok: false, reason: extra[0], why: extra[1] } as Outcome;
  return await joseOutcome(token, keys, o);
}

function mapJoseError(err: unknown): InvalidTokenReason | "other" {
  const e = err as { code?: string; claim?: string; reason?: string };
  switch (e.code) {
    case "ERR_JWT_EXPIRED":
      return "expired";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (e.reason === "missing") return "missing_claim";
      if (e.reason === "invalid") return "malformed";
      return ({ iss: "issuer_mismatch", aud: "audience_mismatch", nbf: "not_yet_valid" } as const)[
        e.claim as "iss"
      ] ?? "other";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return "alg_not_allowed";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "bad_signature";
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return "unknown_kid";
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
    case "ERR_JOSE_NOT_SUPPORTED":
      return "malformed";
    default:
      return "other";
  }
}

/** Our additions to jose, as [reason, why] when one refuses the token. */
function extraRules(token: string, o: ReferenceOptions): [InvalidTokenReason, string] | undefined {
  if (token.length > 16384) return ["malformed", "oversize"];
  const parts = token.split(".");
  if (parts.length !== 3) return undefined; // jose refuses these itself
  if (!parts.every(isCanonicalBase64url)) return ["malformed", "non-canonical base64url"];
  const header = parseObject(parts[0]!);
  const claims = parseObject(parts[1]!);
  if (!header || !claims) return undefined; // jose refuses these itself
  if ("crit" in header) return ["malformed", "crit"];
  if (header.typ !== undefined) {
    if (typeof header.typ !== "string") return ["malformed", "typ type"];
    const media = header.typ.trim().toLowerCase().replace(/^application\//, "");
    if (media !== "jwt" && media !== "jose") return ["not_id_token", "header typ"];
  }
  if (header.kid !== undefined && typeof header.kid !== "string") return ["malformed", "kid type"];
  const has = (name: string) => Object.prototype.hasOwnProperty.call(claims, name);
  if (!has("iss") || !has("aud") || !has("sub") || !has("exp")) return undefined; // jose: missing claim
  if (!has("iat")) return ["missing_claim", "no iat"];
  if (["scope", "scp", "client_id"].some(has)) return ["not_id_token", "access token claim"];
  if (has("typ") && (typeof claims.typ !== "string" || claims.typ.toUpperCase() !== "ID")) {
    return ["not_id_token", "payload typ"];
  }
  const { aud, azp, sub, iat, exp } = claims;
  if (Array.isArray(aud) && aud.some((a) => typeof a !== "string")) return ["malformed", "aud member type"];
  if (claims.iss === o.issuer && (aud === o.clientId || (Array.isArray(aud) && aud.includes(o.clientId)))) {
    if (has("azp") && azp !== o.clientId) return ["azp_mismatch", "azp differs"];
    if (Array.isArray(aud) && aud.length > 1 && !has("azp")) return ["azp_mismatch", "azp missing"];
  }
  if (typeof sub !== "string" || sub === "") return ["missing_claim", "sub not a non-empty string"];
  const nowSec = Math.floor(o.now.getTime() / 1000);
  if (typeof iat === "number" && iat > nowSec + o.toleranceSec) return ["not_yet_valid", "iat in the future"];
  if (typeof iat === "number" && typeof exp === "number" && exp - iat > (o.maxLifetimeSec ?? 86400)) {
    return ["lifetime_too_long", "exp - iat"];
  }
  return undefined;
}

function isCanonicalBase64url(segment: string): boolean {
  if (!/^[A-Za-z0-9_-]*$/.test(segment) || segment.length % 4 === 1) return false;
  // Canonical: re-encoding the decoded bytes gives the same text (unused trailing bits are zero).
  return Buffer.from(segment, "base64url").toString("base64url") === segment;
}

function parseObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(segment, "base64url")));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
