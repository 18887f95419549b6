/**
 * @module What the browser tab of a login says once the whole pass is over: the certificate's roles, or the
 * refusal with the same hint the terminal prints (the tab was held open for it: auth_code.ts holdPageMs).
 */

import { isTalosOidcError } from "../../shared/errors.ts";
import { redactText } from "../../shared/log.ts";
import type { PageOutcome } from "../oidc/callback_page.ts";
import type { ClientCertInfo } from "../talosconfig/cert.ts";

/** The tab after a certificate was written. */
export function signedInPage(
  pass: { user: string; context: string; cert: Pick<ClientCertInfo, "roles" | "notAfter"> },
): PageOutcome {
  const roles = pass.cert.roles.length > 0 ? pass.cert.roles.join(", ") : "none";
  return {
    ok: true,
    message: `You are signed in as ${pass.user}. Your Talos certificate for context "${pass.context}" has the roles ` +
      `${roles} and is valid until ${pass.cert.notAfter.toISOString()}.`,
  };
}

/** The tab after the sign-in worked but the pass did not (the exchange server refused, or the write failed). */
export function refusedPage(err: unknown, interrupted: boolean): PageOutcome {
  if (interrupted) return { ok: false, message: "The login was stopped in the terminal." };
  const message = redactText(err instanceof Error ? err.message : String(err));
  return {
    ok: false,
    heading: "Signed in, but no Talos certificate",
    message: upperFirst(message),
    ...(isTalosOidcError(err) && err.hint ? { hint: upperFirst(redactText(err.hint)) } : {}),
  };
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
