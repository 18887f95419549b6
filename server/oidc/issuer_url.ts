/** @module Which issuer and JWKS URLs we talk to: https, or plain http to a loopback host only. */

/** True for 127.0.0.0/8, ::1 and localhost, the hosts where plain http cannot be observed off the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host === "[::1]") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Why `url` may not be used as an OIDC issuer or JWKS endpoint, or undefined when it may.
 * OIDC Discovery §3: the issuer is https with no query or fragment; http is tolerated on loopback for tests.
 */
export function urlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "it is not an absolute URL";
  }
  if (u.username !== "" || u.password !== "") return "it carries credentials";
  if (u.search !== "" || u.hash !== "") return "it has a query or fragment";
  if (u.protocol === "https:") return undefined;
  if (u.protocol === "http:") {
    return isLoopbackHost(u.hostname) ? undefined : "plain http is allowed only for loopback hosts";
  }
  return "it is neither https nor http";
}
