/**
 * @module kube-apiserver's OIDC token authentication, as a test stand-in applies it: the authenticator read from
 * the Talos document kube setup prints (extraArgs flags or a KubeAuthenticationConfig), then for each bearer
 * token the rules of k8s.io/apiserver's oidc authenticator — exact issuer, signature against the IdP's JWKS with
 * the allowed algorithms, an audience in the list, expiry, the username claim (a string; with `email`, a present
 * `email_verified` must be true), prefixes, and a groups claim that is a string or a list of strings.
 * Written independently of client/ on purpose: it is the other side that client code must satisfy.
 */

import * as jose from "jose";
import { parse } from "yaml";

/** One JWT authenticator, in the terms of AuthenticationConfiguration (flags are translated into it). */
export interface JwtAuthenticator {
  issuer: string;
  audiences: string[];
  username: { claim: string; prefix: string };
  groups?: { claim: string; prefix: string };
  /** Flags: --oidc-signing-algs, default RS256 only. Structured config: every RFC 7518 asymmetric algorithm. */
  algorithms: string[];
}

/** Who kube-apiserver thinks the caller is. */
export interface UserInfo {
  username: string;
  groups: string[];
}

const ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"];

/**
 * Read the authenticator from the Talos document text (≤ 1.13 extraArgs patch or 1.14+ KubeAuthenticationConfig),
 * with kube-apiserver's start-up checks. `allowHttpIssuer`: the test IdP serves http on loopback; a real
 * kube-apiserver refuses to start with a non-https issuer.
 * @throws {Error} what kube-apiserver would refuse to start with.
 */
export function readAuthenticator(talosDocument: string, o: { allowHttpIssuer?: boolean } = {}): JwtAuthenticator {
  const doc = parse(talosDocument) as Record<string, unknown>;
  let a: JwtAuthenticator;
  if (doc?.kind === "KubeAuthenticationConfig") {
    const jwt = ((doc.configuration as { jwt?: unknown[] })?.jwt ?? []) as Record<string, Record<string, unknown>>[];
    if (jwt.length !== 1) throw new Error(`expected one jwt authenticator, got ${jwt.length}`);
    const { issuer, claimMappings } = jwt[0]!;
    const mapping = (m: unknown) => {
      const { claim, prefix } = (m ?? {}) as { claim?: string; prefix?: string };
      if (claim === undefined) return undefined;
      if (prefix === undefined) throw new Error(`claimMappings: prefix is required when claim is set`);
      return { claim, prefix };
    };
    const audiences = (issuer?.audiences ?? []) as string[];
    if (audiences.length === 0) throw new Error("issuer.audiences: at least one audience is required");
    if (audiences.length > 1 && issuer?.audienceMatchPolicy !== "MatchAny") {
      throw new Error("issuer.audienceMatchPolicy must be MatchAny with several audiences");
    }
    const username = mapping(claimMappings?.username);
    if (!username) throw new Error("claimMappings.username is required");
    const groups = mapping(claimMappings?.groups);
    a = {
      issuer: String(issuer?.url ?? ""),
      audiences,
      username,
      ...(groups ? { groups } : {}),
      algorithms: ASYMMETRIC,
    };
  } else {
    const args = ((doc?.cluster as { apiServer?: { extraArgs?: Record<string, string> } })?.apiServer?.extraArgs ??
      {}) as Record<string, string>;
    const issuer = args["oidc-issuer-url"] ?? "", claim = args["oidc-username-claim"] ?? "sub";
    // --oidc-username-prefix: unset means "<issuer>#" for claims other than email; "-" means none.
    let prefix = args["oidc-username-prefix"] ?? "";
    if (prefix === "-") prefix = "";
    else if (prefix === "" && claim !== "email") prefix = `${issuer}#`;
    const groupsClaim = args["oidc-groups-claim"];
    a = {
      issuer,
      audiences: [args["oidc-client-id"] ?? ""],
      username: { claim, prefix },
      ...(groupsClaim ? { groups: { claim: groupsClaim, prefix: args["oidc-groups-prefix"] ?? "" } } : {}),
      algorithms: (args["oidc-signing-algs"] ?? "RS256").split(","),
    };
  }
  const url = new URL(a.issuer);
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost";
  if (url.protocol !== "https:" && !(o.allowHttpIssuer && loopback && url.protocol === "http:")) {
    throw new Error(`issuer URL "${a.issuer}" must use https`);
  }
  return a;
}

/** A verifier for bearer tokens with one authenticator and the IdP's key set (fetched once, again for an unknown kid). */
export interface TokenAuthenticator {
  /** The user, or the reason kube-apiserver logs when it answers 401. */
  authenticate(token: string, now?: Date): Promise<{ user: UserInfo } | { reason: string }>;
}

/** Fetch the IdP's discovery document and keys now (kube-apiserver does at start) and return the authenticator. */
export async function createTokenAuthenticator(a: JwtAuthenticator): Promise<TokenAuthenticator> {
  const discovery = await (await fetch(`${a.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`)).json();
  if (discovery.issuer !== a.issuer) throw new Error(`oidc: issuer did not match: "${discovery.issuer}"`);
  const loadKeys = async () => jose.createLocalJWKSet(await (await fetch(discovery.jwks_uri)).json());
  let keys = await loadKeys();
  const keySet: jose.JWTVerifyGetKey = async (header, token) => {
    try {
      return await keys(header, token);
    } catch (err) {
      if (!(err instanceof jose.errors.JWKSNoMatchingKey)) throw err;
      keys = await loadKeys();
      return await keys(header, token);
    }
  };
  return {
    async authenticate(token, now = new Date()) {
      if (untrustedIssuer(token) !== a.issuer) return { reason: "no authenticator for this issuer" };
      let claims: jose.JWTPayload;
      try {
        ({ payload: claims } = await jose.jwtVerify(token, keySet, {
          issuer: a.issuer,
          algorithms: a.algorithms,
          requiredClaims: ["exp"],
          currentDate: now,
        }));
      } catch (err) {
        return { reason: `oidc: verify token: ${err instanceof Error ? err.message : err}` };
      }
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.some((x) => typeof x === "string" && a.audiences.includes(x))) {
        return { reason: `oidc: expected audience in ${JSON.stringify(a.audiences)} got ${JSON.stringify(aud)}` };
      }
      const name = claims[a.username.claim];
      if (typeof name !== "string") return { reason: `oidc: parse username claims "${a.username.claim}"` };
      if (a.username.claim === "email" && "email_verified" in claims) {
        if (typeof claims.email_verified !== "boolean") return { reason: "oidc: parse 'email_verified' claim" };
        if (!claims.email_verified) return { reason: "oidc: email not verified" };
      }
      let groups: string[] = [];
      if (a.groups && a.groups.claim in claims) {
        const g = claims[a.groups.claim];
        const list = typeof g === "string" ? [g] : g;
        if (!Array.isArray(list) || list.some((x) => typeof x !== "string")) {
          return { reason: `oidc: parse groups claim "${a.groups.claim}"` };
        }
        groups = (list as string[]).map((x) => a.groups!.prefix + x);
      }
      return { user: { username: a.username.prefix + name, groups: [...groups, "system:authenticated"] } };
    },
  };
}

function untrustedIssuer(token: string): string | undefined {
  try {
    const payload = JSON.parse(new TextDecoder().decode(jose.base64url.decode(token.split(".")[1] ?? "")));
    return typeof payload.iss === "string" ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}
