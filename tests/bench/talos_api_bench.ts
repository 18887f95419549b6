/**
 * @module Benchmark: /exchange through the Talos API backend next to the local CA, same run, alternated A/B; and the
 * gRPC round trip alone (Version over the long-lived channel vs a fresh channel per call, as the original tool did).
 */

import { join } from "node:path";
import { nullLogger } from "../../shared/log.ts";
import { createTalosApiClient } from "../../server/talos_api/client.ts";
import { parseTalosCredential } from "../../server/talos_api/credential.ts";
import { parseEndpoint } from "../../server/talos_api/endpoint.ts";
import { createDevCa } from "../helpers/dev_ca.ts";
import { startTestIdp } from "../helpers/idp.ts";
import { serverTalosconfig, startTalosApiStandIn } from "../helpers/talos_api.ts";
import { startServer } from "./exchange_server.ts";
import type { BenchContext, BenchRow, BenchSection } from "./types.ts";
import { EXCHANGE_LUA, median, mintTokens, perOpUs, round, wrk, type WrkResult } from "./wrk.ts";

const ROUNDS = 3;

export async function run(ctx: BenchContext): Promise<BenchSection[]> {
  const dir = await Deno.makeTempDir({ prefix: "talos-api-bench-" });
  await using idp = await startTestIdp();
  const ca = await createDevCa("ed25519");
  await using talos = await startTalosApiStandIn({ ca });
  try {
    const credential = join(dir, "talosconfig");
    const credText = await serverTalosconfig(ca);
    await Deno.writeTextFile(credential, credText, { mode: 0o600 });
    const tokens = mintTokens(idp, 500);
    const bodies = join(dir, "bodies.jsonl"), script = join(dir, "exchange.lua");
    await Deno.writeTextFile(bodies, tokens.map((t) => JSON.stringify({ id_token: t })).join("\n") + "\n");
    await Deno.writeTextFile(script, EXCHANGE_LUA);
    const local = await startServer(idp, ca, join(dir, "local"), ctx);
    const api = await startServer(idp, ca, join(dir, "api"), ctx, {
      env: {
        TALOSCTL_OIDC_ISSUER_BACKEND: "talos_api",
        TALOSCTL_OIDC_TALOS_CONFIG: credential,
        TALOSCTL_OIDC_TALOS_API_ENDPOINTS: talos.endpoint,
      },
    });
    const rows: BenchRow[] = [];
    try {
      const ex = (url: string, c: number) => wrk(`${url}/exchange`, c, 4, script, [bodies, "0"]);
      await ex(local.url, 4); // warm-up: JIT, JWKS, TLS sessions, the gRPC channel
      await ex(api.url, 4);
      for (const c of [1, 8]) {
        const a: WrkResult[] = [], b: WrkResult[] = [];
        for (let i = 0; i < ROUNDS; i++) { // alternate, so drift on the shared machine hits both alike
          a.push(await ex(local.url, c));
          b.push(await ex(api.url, c));
        }
        const m = (rs: WrkResult[], k: "rps" | "p50" | "p99") => median(rs.map((r) => r[k]));
        const errors = [...a, ...b].reduce((n, r) => n + r.errors + r.non2xx, 0);
        ctx.log(`c=${c}: local ${round(m(a, "rps"))}/s, talos_api ${round(m(b, "rps"))}/s, errors ${errors}`);
        const who = `${c} client${c > 1 ? "s" : ""}`;
        rows.push({
          name: `/exchange via talos_api, ${who}`,
          value: round(m(b, "rps")),
          unit: "req/s",
          baseline: `local_ca, ${who} (same run)`,
          baselineValue: round(m(a, "rps")),
          ratio: round(m(b, "rps") / m(a, "rps"), 2),
          note: `median of ${ROUNDS} alternated 4 s runs; ${errors} errors`,
        });
        for (const q of ["p50", "p99"] as const) {
          rows.push({
            name: `/exchange ${q} via talos_api, ${who}`,
            value: round(m(b, q), 2),
            unit: "ms",
            baseline: `local_ca ${q}`,
            baselineValue: round(m(a, q), 2),
            ratio: round(m(b, q) / m(a, q), 1),
          });
        }
      }
    } finally {
      for (const s of [local, api]) {
        s.child.kill("SIGTERM");
        await s.child.status;
      }
    }
    rows.push(...(await roundTrips(credText, credential, talos.endpoint)));
    return [{
      title: "Issuing through the Talos API (talos_api) next to the local CA (local_ca)",
      rows,
      notes: [
        "Two `serve` processes, same IdP and tokens, same CA; talos_api calls a Talos API stand-in (gRPC over mutual " +
        "TLS, another process) with the server's os:admin talosconfig. Runs alternate local/talos_api so machine " +
        "noise hits both.",
        "The stand-in mints with @peculiar/x509 (about 3 ms per certificate here), far slower than Talos's Go " +
        "signer: the talos_api throughput is a lower bound for a real node. The Version rows isolate the gRPC round " +
        "trip itself (no minting), which is what the backend adds per exchange on top of the node's signing.",
        "A fresh channel per call (the original tool builds a client per request) pays a TCP + mutual-TLS handshake " +
        "every time; the long-lived channel pays it once.",
      ],
    }];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Version over the long-lived channel vs a new client per call, in this process. */
async function roundTrips(text: string, path: string, endpoint: string): Promise<BenchRow[]> {
  const target = {
    kind: "talosconfig" as const,
    credential: parseTalosCredential(text, path),
    endpoints: [parseEndpoint(endpoint)!],
  };
  const make = () => createTalosApiClient({ target, timeoutMs: 5000, logger: nullLogger, now: () => new Date() });
  const long = make();
  let reused: number, fresh: number, generate: number;
  try {
    reused = await perOpUs(300, () => long.version());
    generate = await perOpUs(100, () => long.generate(["os:reader"], 300));
    fresh = await perOpUs(100, async () => {
      const c = make();
      try {
        await c.version();
      } finally {
        c.close();
      }
    });
  } finally {
    long.close();
  }
  return [
    {
      name: "Version round trip, long-lived channel (mutual TLS)",
      value: round(reused),
      unit: "µs",
      baseline: "a fresh channel per call (handshake each time)",
      baselineValue: round(fresh),
      ratio: round(reused / fresh, 2),
      note: "lower is better",
    },
    {
      name: "GenerateClientConfiguration round trip, long-lived channel",
      value: round(generate),
      unit: "µs",
      baseline: "Version round trip",
      baselineValue: round(reused),
      ratio: round(generate / reused, 1),
      note: "the difference is the stand-in minting (x509 + Ed25519 key)",
    },
  ];
}
