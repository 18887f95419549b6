/**
 * @module The soak: the real IdP, a real `serve` (workers as shipped), a steady open-loop load of distinct tokens,
 * and the faults one after another on a schedule scaled to the run's length; then the nothing-lost checks.
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSign, generateKeyPairSync } from "node:crypto";
import { Buffer } from "node:buffer";
import { createDevCa } from "../helpers/dev_ca.ts";
import { startTestIdp, type TestIdp } from "../helpers/idp.ts";
import { mountAuditDisk } from "./audit_disk.ts";
import { type LostCheck, nothingLost } from "./checks.ts";
import { auditFullFault, sigkillFault, slowClientsFault } from "./faults_server.ts";
import { clockStepFault, idpDownFault, judgeRemovedKid, rotationFault } from "./faults_idp.ts";
import { startLoad, type TokenKind } from "./load.ts";
import { type MinuteSample, sampleMinutes } from "./minutes.ts";
import { startSoakServer } from "./server_proc.ts";
import { summarize } from "./summary.ts";
import { sleep } from "../../shared/sleep.ts";
import { type FaultRecord, type ReadySample, type SoakWorld } from "./world.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface SoakOptions {
  minutes: number;
  rate: number;
  log?: (line: string) => void;
}

export interface SoakResult {
  options: SoakOptions;
  seconds: number;
  faults: FaultRecord[];
  minutes: MinuteSample[];
  lost: LostCheck;
  /** Requests outside every fault window that did not get a certificate (must be none). */
  errorsOutside: { count: number; total: number; examples: string[] };
  /** The p99 with no fault going on: the baseline of every per-minute p99. */
  quiet: { p99: number; requests: number; label: string };
  /** Requests the load generator could not send (too many outstanding: the server or this machine fell behind). */
  skipped: number;
  loadAverage: string;
  workers: string;
}

/** ID tokens signed like the IdP's, `n` distinct subjects, old enough that a clock 5 min behind still accepts them. */
function mint(idp: TestIdp, n: number, key: { kid: string; privateKey: unknown }, from: number, ttlS: number) {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const header = b64({ alg: "RS256", kid: key.kid, typ: "JWT" });
  const iat = Math.floor(Date.now() / 1000) - 360;
  return Array.from({ length: n }, (_, i) => {
    const sub = `soak-${from + i}`;
    const claims = { iss: idp.issuer, aud: idp.clientId, sub, email: `${sub}@example.com`, iat, exp: iat + ttlS };
    const input = `${header}.${b64(claims)}`;
    const sig = createSign("RSA-SHA256").update(input).sign(key.privateKey as never).toString("base64url");
    return `${input}.${sig}`;
  });
}

/** Poll /readyz every 500 ms until stopped. */
function pollReadyz(url: string, client: () => Deno.HttpClient, t: () => number, out: ReadySample[]) {
  let polling = true;
  const done = (async () => {
    while (polling) {
      const at = t();
      try {
        const res = await fetch(`${url}/readyz`, { client: client(), signal: AbortSignal.timeout(5_000) });
        const json = await res.json();
        out.push({ at, status: res.status, state: json.status, details: json.details });
      } catch {
        out.push({ at, status: 0 });
      }
      await sleep(500);
    }
  })();
  return () => (polling = false, done);
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const dir = await Deno.makeTempDir({ prefix: "soak-" });
  const ttlS = options.minutes * 60 + 3_600;
  await using idp = await startTestIdp();
  await using disk = await mountAuditDisk();
  const ca = await createDevCa("ed25519");
  const graceMs = Math.max(5_000, Math.round(30_000 * options.minutes / 10));
  const stranger = { kid: "never-published", ...generateKeyPairSync("rsa", { modulusLength: 2048 }) };
  const pools: Record<TokenKind, string[]> = {
    main: mint(idp, 2_000, idp.keys.RS256, 0, ttlS),
    unknown_kid: mint(idp, 200, stranger, 0, ttlS),
    removed_kid: [],
  };
  const auditLog = join(disk.path, "audit.log");
  const server = await startSoakServer(idp, ca, dir, {
    root: ROOT,
    auditLog,
    env: { TALOSCTL_OIDC_JWKS_REMOVED_KEY_GRACE: `${graceMs / 1000}s` },
  });
  log(
    `server ${server.url} (pid ${server.pid()}), audit log on ${disk.mounted ? "a tmpfs" : "disk"}; ` +
      `${options.rate}/s for ${options.minutes} min`,
  );
  const t0 = performance.now(), epoch = Date.now();
  const t = () => performance.now() - t0;
  const mix: Partial<Record<TokenKind, number>> = {};
  const load = startLoad({
    url: () => server.url,
    client: () => server.client(),
    rate: options.rate,
    token: (kind, n) => pools[kind][n % pools[kind].length]!,
    mix: () => mix,
    now: t,
  });
  const readyz: ReadySample[] = [];
  let minting = Promise.resolve();
  const stopPolling = pollReadyz(server.url, () => server.client(), t, readyz);
  const world: SoakWorld = {
    idp,
    server,
    load,
    t,
    epoch,
    scaled: (ms, floor = 0) => Math.max(floor, Math.round(ms * options.minutes / 10)),
    readyz,
    mix,
    lastKidTraffic: Number.NEGATIVE_INFINITY,
    rotateTokens() {
      pools.removed_kid = pools.main;
      const fresh = mint(idp, 20, idp.keys.RS256, 10_000, ttlS);
      pools.main = fresh;
      minting = (async () => { // the rest in small batches, so the load's own loop keeps its pace
        for (let i = 1; i < 50; i++) {
          await sleep(20);
          fresh.push(...mint(idp, 20, idp.keys.RS256, 10_000 + i * 20, ttlS));
        }
      })();
    },
    ...(disk.mounted ? { auditDisk: disk } : {}),
    log,
  };
  const sampler = sampleMinutes(world);
  const totalMs = options.minutes * 60_000;
  const at = async (fraction: number) => {
    const wait = fraction * totalMs - t();
    if (wait > 0) await sleep(wait);
  };
  const faults: FaultRecord[] = [];
  const run = async (fraction: number, fault: () => Promise<FaultRecord>) => {
    await at(fraction);
    const rec = await fault();
    const s = (x: number | undefined) => x === undefined ? "never" : `${(x / 1000).toFixed(1)} s`;
    log(
      `${rec.name}: ${
        rec.skipped ? `skipped (${rec.skipped})` : `${s(rec.start)} to ${s(rec.end)}, recovered ${s(rec.recoveredAt)}`
      }`,
    );
    faults.push(rec);
    return rec;
  };
  // The first tenth is quiet (the baseline); the faults follow, each after the previous one has been lifted. The
  // SIGKILLs come first: a kill loses the failure counts of the window it cuts (audited at the window's end).
  const kill = await run(0.1, () => sigkillFault(world));
  const rotation = await run(0.1, () => rotationFault(world, graceMs));
  await run(0.2, () => clockStepFault(world));
  await run(0.3, () => auditFullFault(world));
  await run(0.4, () => slowClientsFault(world));
  await run(0.5, () => idpDownFault(world));
  await Promise.all([...faults.map((f) => f.settle), minting]);
  await at(1);
  await load.stop();
  await stopPolling();
  const minutes = await sampler.stop();
  await server.stop();
  judgeRemovedKid(world, rotation, graceMs);
  const lost = await nothingLost(auditLog, server.dataDir, load.outcomes, kill.windows ?? [], kill.end);
  const result = await summarize(options, faults, minutes, lost, load);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  return { ...result, seconds: (performance.now() - started) / 1000 };
}
