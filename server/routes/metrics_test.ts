/** @module Tests for GET /metrics, the metric names and the exposition format. */

import { Hono } from "hono";
import { jsonLogger } from "../../shared/log.ts";
import { onError } from "../errors_http.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../tests/helpers/assert.ts";
import { Secret } from "../../shared/secret.ts";
import { countJwksRefreshes } from "../metrics/jwks_fetch.ts";
import { createServerMetrics } from "../metrics/server_metrics.ts";
import { httpMetrics } from "../middleware/http_metrics.ts";
import { metricsRoutes } from "./metrics.ts";

/** Every family the server exposes; dashboards and alerts depend on these names. */
export const METRIC_NAMES = [
  "talosctl_oidc_http_requests_total",
  "talosctl_oidc_exchange_duration_seconds",
  "talosctl_oidc_certs_issued_total",
  "talosctl_oidc_token_validation_failures_total",
  "talosctl_oidc_jwks_refreshes_total",
  "talosctl_oidc_rate_limited_total",
  "talosctl_oidc_ip_denied_total",
  "talosctl_oidc_rbac_denied_total",
  "talosctl_oidc_cert_errors_total",
  "talosctl_oidc_admin_logins_total",
  "talosctl_oidc_rate_limiter_entries",
  "talosctl_oidc_start_time_seconds",
];

function setup(token?: string) {
  const metrics = createServerMetrics({ limiterEntries: () => 7 });
  const app = new Hono().onError(onError(jsonLogger({ write: () => {} })));
  app.use(httpMetrics({ metrics }));
  app.route("/", metricsRoutes({ metrics, token: token ? new Secret(token) : undefined }));
  app.post("/exchange", (c) => c.json({ error: "invalid token" }, 401));
  return { app, metrics };
}

Deno.test("metrics exposes every talosctl_oidc_ family with HELP and TYPE", async () => {
  const { app } = setup();
  const res = await app.request("/metrics");
  assertEquals(res.status, 200);
  assertStringIncludes(res.headers.get("content-type")!, "text/plain; version=0.0.4");
  const text = await res.text();
  const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]);
  assertEquals(families, METRIC_NAMES);
  assertStringIncludes(text, 'talosctl_oidc_certs_issued_total{role="os:admin"} 0');
  assertStringIncludes(text, "talosctl_oidc_rate_limiter_entries 7");
});

Deno.test("metrics counts requests by route and status, times /exchange, and follows the audit stream", async () => {
  const { app, metrics } = setup();
  await app.request("/exchange", { method: "POST" });
  await app.request("/nope/../../etc");
  metrics.observeAudit({ type: "cert_issued", roles: ["os:reader", "os:etcd:backup"] });
  metrics.observeAudit({ type: "auth_failure", reason: "expired" });
  metrics.observeAudit({ type: "auth_failure", reason: "made-up\n" });
  metrics.rateLimited("ip");
  metrics.ipDenied();
  const text = await (await app.request("/metrics")).text();
  assertStringIncludes(text, 'talosctl_oidc_http_requests_total{route="/exchange",method="POST",status="401"} 1');
  assertStringIncludes(text, 'talosctl_oidc_http_requests_total{route="unmatched",method="GET",status="404"} 1');
  assertStringIncludes(text, "talosctl_oidc_exchange_duration_seconds_count 1");
  assertMatch(text, /talosctl_oidc_exchange_duration_seconds_bucket\{le="\+Inf"\} 1/);
  assertStringIncludes(text, 'talosctl_oidc_certs_issued_total{role="os:etcd:backup"} 1');
  assertStringIncludes(text, 'talosctl_oidc_token_validation_failures_total{reason="expired"} 1');
  assertStringIncludes(text, 'talosctl_oidc_token_validation_failures_total{reason="other"} 1');
  assertStringIncludes(text, 'talosctl_oidc_rate_limited_total{scope="ip"} 1');
  assertStringIncludes(text, "talosctl_oidc_ip_denied_total 1");
});

Deno.test("metrics behind metrics_token needs the bearer token", async () => {
  const { app } = setup("scrape-me");
  assertEquals((await app.request("/metrics")).status, 401);
  assertEquals((await app.request("/metrics", { headers: { authorization: "Bearer nope" } })).status, 403);
  assertEquals((await app.request("/metrics", { headers: { authorization: "Bearer scrape-me" } })).status, 200);
});

Deno.test("countJwksRefreshes() counts one outcome per discovery + JWKS refresh", async () => {
  const metrics = createServerMetrics();
  const fake = (url: string | URL | Request) =>
    Promise.resolve(new Response("{}", { status: String(url).includes("broken") ? 500 : 200 }));
  const f = countJwksRefreshes(fake as typeof fetch, metrics);
  await f("https://idp.example.com/.well-known/openid-configuration");
  await f("https://idp.example.com/jwks");
  await f("https://broken.example.com/.well-known/openid-configuration");
  const text = metrics.render();
  assertStringIncludes(text, 'talosctl_oidc_jwks_refreshes_total{outcome="success"} 1');
  assertStringIncludes(text, 'talosctl_oidc_jwks_refreshes_total{outcome="failure"} 1');
  assert(!text.includes("NaN"));
});

Deno.test("docs/configuration.md lists exactly the metric families the server exposes", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/configuration.md", import.meta.url));
  const listed = [...doc.matchAll(/^\| `(talosctl_oidc_[a-z_]+)`/gm)].map((m) => m[1]);
  assertEquals(listed.sort(), [...METRIC_NAMES].sort());
});
