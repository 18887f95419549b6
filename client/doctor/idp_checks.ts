/** @module Doctor check on the IdP: its discovery document is reachable and names itself correctly. */

import { discoverProvider } from "../oidc/discovery.ts";
import { type CheckResult, type DoctorInputs, fail, ok, skip, warn } from "./types.ts";

/** Fetch the discovery document of the provider (from --provider, the profile or the cached token). */
export async function checkIdp(inputs: DoctorInputs): Promise<CheckResult[]> {
  if (!inputs.provider) return [skip("IdP", "no provider known (use --provider URL or --profile NAME)")];
  try {
    const meta = await discoverProvider(inputs.provider, { timeoutMs: 10_000 });
    const out = [ok("IdP", `${meta.issuer} discovery document is reachable`)];
    const methods = meta.code_challenge_methods_supported;
    if (methods && !methods.includes("S256")) {
      out.push(
        warn(
          "IdP PKCE",
          `the IdP does not list S256 in code_challenge_methods_supported (${methods.join(", ")})`,
          "enable PKCE S256 for the client",
        ),
      );
    }
    return out;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return [fail("IdP", `${msg}${cause}`, "check the provider URL (the exact issuer) and your network or proxy")];
  }
}
