/** @module Shared measuring helpers for the benches: an operations-per-second loop and OpenSSL's own figures. */

/** Operations per second of `op` over about `seconds`, after a short warm-up. */
export async function rate(seconds: number, op: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < 20; i++) await op(i);
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let j = 0; j < 10; j++) await op(count++);
  }
  return count / ((performance.now() - start) / 1000);
}

/** What `openssl speed rsa2048 ed25519` reports, in operations per second on one core. */
export interface OpensslSpeed {
  rsaVerify?: number;
  edSign?: number;
  edVerify?: number;
}

/**
 * Run `openssl speed -seconds N <algs>` and parse the per-second columns (empty when openssl is missing).
 * The table rows look like `rsa 2048 bits 0.000601s 0.000017s 1664.0 58726.0` and
 * `253 bits EdDSA (Ed25519) 0.0000s 0.0001s 27237.0 10027.0` (sign/s, verify/s last).
 */
export async function opensslSpeed(
  seconds: number,
  algs: ("rsa2048" | "ed25519")[],
  log: (line: string) => void = () => {},
): Promise<OpensslSpeed> {
  try {
    const args = ["speed", "-seconds", String(seconds), ...algs];
    const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "null" }).output();
    const text = new TextDecoder().decode(out.stdout);
    const rsa = text.match(/^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)/m);
    const ed = text.match(/EdDSA \(Ed25519\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)/);
    return {
      ...(rsa ? { rsaVerify: Number(rsa[2]) } : {}),
      ...(ed ? { edSign: Number(ed[1]), edVerify: Number(ed[2]) } : {}),
    };
  } catch (err) {
    log(`openssl speed unavailable: ${err instanceof Error ? err.message : err}`);
    return {};
  }
}
