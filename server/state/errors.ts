/** @module The fail-closed error of a state store that cannot be reached: 503 ERR_STATE_STORE with Retry-After. */

import { TalosOidcError } from "../../shared/errors.ts";

/** Seconds a client is asked to wait while the store is unreachable (the store reconnects by itself). */
const STORE_RETRY_AFTER_SECONDS = 5;

/** The error every check that needs the store throws while it is unreachable; `store` is its name, never a password. */
export function storeUnavailable(
  store: { readonly name: string },
  detail?: string,
): TalosOidcError<"ERR_STATE_STORE"> {
  return new TalosOidcError(
    "ERR_STATE_STORE",
    `the state store ${store.name} is unreachable${detail ? `: ${detail}` : ""}`,
    {
      hint:
        "limits and blocks cannot be checked, so requests are refused until it is back (state_store_fail_open: true " +
        "lets them through instead)",
      fields: { store: store.name, retryAfterSeconds: STORE_RETRY_AFTER_SECONDS },
    },
  );
}
