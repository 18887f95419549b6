/** @module GET /healthz: liveness, a plain `ok` (compatible with the original tool). */

import type { Context } from "hono";

/** Always 200 `ok` while the process serves HTTP; readiness (JWKS loaded) is /readyz's job. */
export function healthzRoute(): (c: Context) => Response {
  return function healthz(c) {
    c.header("Cache-Control", "no-store");
    return c.text("ok");
  };
}
