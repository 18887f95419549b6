/** @module Tests for merging registries: the owner's and each worker's snapshot render as one /metrics. */

import { assertEquals, assertStringIncludes } from "../../tests/helpers/assert.ts";
import { Registry, renderMerged } from "./registry.ts";

function registry(started: number) {
  const r = new Registry();
  const reqs = r.counter("x_requests_total", "requests", ["route"]);
  const lat = r.histogram("x_seconds", "latency", [0.1, 1]);
  r.gauge("x_start_time_seconds", "start", () => started);
  return { r, reqs, lat };
}

Deno.test("renderMerged() adds counters and histograms by labels and takes gauges from the first snapshot", () => {
  const owner = registry(100), w1 = registry(200), w2 = registry(300);
  w1.reqs.inc({ route: "/a" }, 2);
  w2.reqs.inc({ route: "/a" }, 3);
  w2.reqs.inc({ route: "/b" });
  w1.lat.observe(0.05);
  w2.lat.observe(0.5);
  w2.lat.observe(5);
  const text = renderMerged([owner.r.snapshot(), w1.r.snapshot(), w2.r.snapshot()]);
  for (
    const line of [
      'x_requests_total{route="/a"} 5',
      'x_requests_total{route="/b"} 1',
      'x_seconds_bucket{le="0.1"} 1',
      'x_seconds_bucket{le="1"} 2',
      'x_seconds_bucket{le="+Inf"} 3',
      "x_seconds_sum 5.55",
      "x_seconds_count 3",
      "x_start_time_seconds 100",
    ]
  ) assertStringIncludes(text, `\n${line}\n`);
  assertEquals(owner.r.render(), renderMerged([owner.r.snapshot()]), "one registry renders as before");
});
