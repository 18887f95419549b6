/** @module Soak faults on the server's side: SIGKILL and restart, the audit log's disk full, slow clients. */

import { join } from "node:path";
import { SOAK_MAX_CONNECTIONS } from "./server_proc.ts";
import { openSlowClients } from "./slow_clients.ts";
import { sleep } from "../../shared/sleep.ts";
import { type FaultRecord, firstOutcome, firstReady, type SoakWorld, startFault } from "./world.ts";

/** Kill the server mid-load (SIGKILL, twice), start it again each time; service is back at its first 200. */
export async function sigkillFault(w: SoakWorld): Promise<FaultRecord> {
  const rec = startFault(w, {
    name: "SIGKILL mid-load, restarted (x2)",
    expected: "requests in flight get no answer, nothing else fails; after each restart audit verify passes " +
      "(a torn last line kept aside and reported), certs.jsonl parses, the TLS material is unchanged",
    windows: [],
  });
  const tls = await tlsMaterial(w.server.dataDir);
  for (let round = 0; round < 2; round++) {
    if (round > 0) await sleep(w.scaled(30_000, 2_000));
    const killedAt = w.t();
    const inFlight = w.load.inFlight();
    await w.server.kill();
    const log = await w.server.restart();
    const listening = w.t();
    const back = await firstOutcome(w, listening, (o) => o.status === 200, 30_000);
    rec.end = listening;
    rec.recoveredAt = back?.at;
    rec.windows!.push([killedAt, back?.at ?? listening]);
    rec.notes.push(
      `kill ${round + 1}: ${inFlight} requests in flight; listening again after ${ms(listening - killedAt)}, ` +
        `first certificate ${back ? ms(back.at - killedAt) : "never"} after the kill`,
    );
    const torn = /audit log ended in a torn line/.test(log) || /cut a torn last line/.test(log);
    if (torn) rec.notes.push(`kill ${round + 1}: the restart reported a torn last line and kept it aside`);
    const same = JSON.stringify(await tlsMaterial(w.server.dataDir)) === JSON.stringify(tls);
    rec.checks.push({
      what: `TLS material intact after kill ${round + 1}`,
      ok: same,
      detail: same ? "same bytes" : "changed",
    });
    rec.checks.push({ what: `served again after kill ${round + 1}`, ok: back !== undefined, detail: "" });
  }
  return rec;
}

/** Every file of the TLS material in data_dir (not the certificate history), by name. */
async function tlsMaterial(dataDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dataDir)) {
    if (e.isFile && e.name !== "certs.jsonl") out[e.name] = await Deno.readTextFile(join(dataDir, e.name));
  }
  return out;
}

/** Fill the audit log's disk under load for a while, then free it; service is back at the first 200 after. */
export async function auditFullFault(w: SoakWorld): Promise<FaultRecord> {
  const rec = startFault(w, {
    name: "audit log disk full",
    expected: "/exchange fails closed: 503 ERR_AUDIT with Retry-After, no certificate without its audit line; " +
      "/readyz 503 saying why; recovers by itself when space returns; audit_gap line; chain verifies",
  });
  if (!w.auditDisk) {
    rec.end = rec.start;
    rec.skipped = "needs root to mount a tmpfs (run as root, as CI does)";
    return rec;
  }
  await w.auditDisk.fill();
  await sleep(w.scaled(30_000, 3_000));
  const refused = await firstReady(w, rec.start, (r) => r.status === 503, 5_000);
  rec.checks.push({
    what: "/readyz said why while the disk was full",
    ok: refused?.details?.audit?.includes("No space left on device") ?? false,
    detail: refused?.details?.audit ?? "no 503 seen",
  });
  await w.auditDisk.free();
  rec.end = w.t();
  const back = await firstOutcome(w, rec.end, (o) => o.status === 200, 30_000);
  const ready = await firstReady(w, rec.end, (r) => r.status === 200, 30_000);
  rec.recoveredAt = back && ready ? Math.max(back.at, ready.at) : undefined;
  const answers = w.load.outcomes.filter((o) => o.at >= rec.start && o.at < rec.end && o.status === 503);
  rec.checks.push({
    what: "every refusal while full was 503 ERR_AUDIT with Retry-After",
    ok: answers.length > 0 && answers.every((o) => o.code === "ERR_AUDIT" && o.retryAfter === "30"),
    detail: `${answers.length} refusals`,
  });
  return rec;
}

/** Slowloris on headers and body, and idle keep-alive sockets, while the load goes on. */
export async function slowClientsFault(w: SoakWorld): Promise<FaultRecord> {
  const counts = { headers: 50, body: 50, idle: 300 };
  const rec = startFault(w, {
    name: "slow and stalled clients",
    expected: `served clients keep getting answers (p99 compared with the quiet minute); slowloris cut at the ` +
      `server's limits (headers 5 s, whole request 15 s: 408), idle keep-alive closed after 60 s; memory bounded`,
  });
  const port = Number(new URL(w.server.url).port);
  const before = await w.server.sample();
  const slow = await openSlowClients(port, w.server.caPem, counts, { now: () => w.t() });
  await sleep(w.scaled(60_000, 6_000));
  const held = await w.server.sample();
  rec.end = w.t();
  rec.recoveredAt = rec.end;
  rec.settle = (async () => {
    // The slowloris sockets must all be cut by the server (15 s at most); idle ones may outlive a short phase.
    await slow.settled(20_000);
    const of = (k: string) => slow.sockets.filter((s) => s.kind === k);
    for (const kind of ["headers", "body"] as const) {
      const ss = of(kind);
      const cut = ss.filter((s) => s.closedAt !== undefined && !s.failed);
      const heldMs = cut.map((s) => s.closedAt! - s.openedAt);
      const lines = new Set(cut.map((s) => s.firstLine ?? "(closed without an answer)"));
      rec.checks.push({
        what: `every ${kind} slowloris socket cut by the server`,
        ok: cut.length === ss.length,
        detail: `${cut.length}/${ss.length} cut, held ${ms(Math.min(...heldMs))}..${ms(Math.max(...heldMs))}, ` +
          `answered ${[...lines].join(" / ")}`,
      });
    }
    const idle = of("idle");
    const idleClosed = idle.filter((s) => s.closedAt !== undefined && !s.failed);
    rec.notes.push(
      `${idle.length} idle keep-alive sockets: ${idleClosed.length} closed by the server after ` +
        `${idleClosed.length ? ms(Math.min(...idleClosed.map((s) => s.closedAt! - s.openedAt))) : "-"} ` +
        `(its keep-alive limit is 60 s), ${idle.length - idleClosed.length} still open when the phase ended`,
    );
    const refusedConn = slow.sockets.filter((s) => s.failed).length;
    rec.checks.push({
      what: `every slow socket was accepted (under max_connections ${SOAK_MAX_CONNECTIONS})`,
      ok: refusedConn === 0,
      detail: `${refusedConn} refused; the server held ${held.fds} fds with them, ${before.fds} before`,
    });
    rec.notes.push(
      `server RSS ${mib(before.rssKiB)} before, ${mib(held.rssKiB)} holding ${slow.sockets.length} slow sockets; ` +
        `fds ${before.fds} before, ${held.fds} holding them`,
    );
    slow.close();
  })();
  return rec;
}

export function ms(x: number): string {
  return x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`;
}

export function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}
