/**
 * @module One issuer rule for server and client: where an issuer's discovery document is, and whether the issuer
 * that document states is the one configured.
 */

/**
 * The discovery document URL of `issuer`: one trailing "/" removed, then `/.well-known/openid-configuration`
 * appended (OpenID Connect Discovery 1.0 §4.1).
 */
export function discoveryUrl(issuer: string): string {
  return `${withoutSlash(issuer)}/.well-known/openid-configuration`;
}

/**
 * True when the discovery document's `issuer` (`stated`) names the `configured` issuer: identical, or differing only
 * by one trailing "/". Discovery §4.3 asks for identical strings, but §4.1 drops that slash to find the document, so
 * people write the issuer both ways (authentik's issuers end in "/"; most others do not). Everything else compares
 * exactly: scheme, host, port, path and case.
 *
 * This is only for matching configuration against discovery. Afterwards the issuer is the document's `stated` value,
 * and every token's `iss` must equal it exactly (OIDC Core §3.1.3.7 #2), as must the `iss` of an authorization
 * response (RFC 9207 §2.4).
 */
export function sameIssuer(configured: string, stated: string): boolean {
  return configured === stated || withoutSlash(configured) === withoutSlash(stated);
}

/**
 * True for the loopback host names both sides accept over plain http (RFC 8252 §8.3: the traffic never leaves the
 * machine): `localhost`, `127.0.0.1`, `[::1]` as URL.hostname spells them.
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
}

function withoutSlash(issuer: string): string {
  return issuer.endsWith("/") ? issuer.slice(0, -1) : issuer;
}
