/** @module GET /ca: the self-signed TLS CA PEM, for clients to pin with --server-ca. */

import type { Context } from "hono";
import { TalosOidcError } from "../../shared/errors.ts";

/** Message of the original tool when the server does not run with self-signed TLS. */
const CA_ONLY_SELF_SIGNED = "CA endpoint only available in self-signed TLS mode";

/** Serve `caPem()` as `application/x-pem-file`; ERR_NOT_FOUND (404) when there is none (provided or insecure TLS). */
export function caRoute(caPem: () => string | undefined): (c: Context) => Response {
  return function ca(c) {
    const pem = caPem();
    if (pem === undefined) throw new TalosOidcError("ERR_NOT_FOUND", CA_ONLY_SELF_SIGNED);
    return c.body(pem, 200, { "Content-Type": "application/x-pem-file" });
  };
}
