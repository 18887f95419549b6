/**
 * @module Who a certificate and an audit line name: the verified email or `sub`, with control and bidi characters
 * removed and a length cap, so a claim can neither spoof another identity on screen nor break a certificate.
 */

/** X.509 ub-common-name (RFC 5280 Appendix A): a CN longer than this is not a valid certificate. */
export const MAX_COMMON_NAME = 64;
/** The longest `sub` OIDC Core §2 allows: the audit log and dashboard show identities up to this. */
export const MAX_SHOWN_IDENTITY = 255;

/**
 * C0 and C1 controls (newlines, escapes, NUL, DEL) and the Unicode bidi controls (U+061C, U+200E/F, U+202A–E,
 * U+2066–9) that reorder what follows them on screen ("alice\u202Egpj.exe" shows as "aliceexe.jpg").
 */
const INVISIBLE = /[\p{Cc}\p{Bidi_Control}]/gu;

/** `value` with control and bidi characters removed, cut to `max` code points. */
export function displayText(value: string, max: number): string {
  const clean = value.toWellFormed().replace(INVISIBLE, "");
  const chars = [...clean];
  return chars.length <= max ? clean : chars.slice(0, max).join("");
}

/**
 * The token's email when the IdP vouches for it: `email_verified` is the JSON boolean `true` (OIDC Core §5.1).
 * A string "true" or "false", a missing claim or anything else means unverified.
 */
export function verifiedEmail(claims: Readonly<Record<string, unknown>>): string | undefined {
  const { email, email_verified: verified } = claims;
  return typeof email === "string" && email !== "" && verified === true ? email : undefined;
}

/**
 * The certificate's Subject CN: the verified email, else `sub`, cleaned (displayText). An email longer than
 * MAX_COMMON_NAME gives way to `sub` rather than be cut into another address; a `sub` that long is cut.
 */
export function commonNameOf(claims: Readonly<Record<string, unknown>>): string {
  const email = verifiedEmail(claims);
  const sub = typeof claims.sub === "string" ? displayText(claims.sub, Number.MAX_SAFE_INTEGER) : "";
  const mail = email === undefined ? "" : displayText(email, Number.MAX_SAFE_INTEGER);
  if (mail !== "" && [...mail].length <= MAX_COMMON_NAME) return mail;
  return displayText(sub, MAX_COMMON_NAME);
}

/** The identity fields of audit events (and so of the dashboard): `subject` and the verified `email`, cleaned. */
export function auditIdentity(claims: Readonly<Record<string, unknown>>): { subject: string; email?: string } {
  const email = verifiedEmail(claims);
  const subject = typeof claims.sub === "string" ? displayText(claims.sub, MAX_SHOWN_IDENTITY) : "";
  return email === undefined ? { subject } : { subject, email: displayText(email, MAX_SHOWN_IDENTITY) };
}
