/**
 * @module Project Wycheproof vectors (tests/vectors/wycheproof/) through the verifier's signature layer: each group's
 * JWK imported and selected as a token's key would be, then verifySignature() on every test.
 */

import { Buffer } from "node:buffer";
import { assertEquals } from "../../tests/helpers/assert.ts";
import { ALGORITHMS } from "./algorithms.ts";
import { importJwks, selectKey } from "./jwks_keys.ts";
import { verifySignature } from "./signature.ts";

const DIR = new URL("../../tests/vectors/wycheproof/", import.meta.url);

interface VectorTest {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  sig: string;
  result: "valid" | "invalid" | "acceptable";
}
interface VectorFile {
  numberOfTests: number;
  testGroups: VectorGroup[];
}
interface VectorGroup {
  publicKeyJwk?: Record<string, unknown>;
  keyJwk?: Record<string, unknown>;
  publicKey?: { curve?: string; wx?: string; wy?: string };
  tests: VectorTest[];
}

/** The group's key as a JWK: given by the file, or (a few ECDSA groups) built from the point's coordinates. */
function groupJwk(group: VectorGroup): Record<string, unknown> | undefined {
  const given = group.publicKeyJwk ?? group.keyJwk;
  const { curve, wx, wy } = group.publicKey ?? {};
  if (given !== undefined || curve !== "secp256r1" || wx === undefined || wy === undefined) return given;
  const coordinate = (h: string) =>
    Buffer.from(BigInt("0x" + h).toString(16).padStart(64, "0"), "hex").toString("base64url");
  return { kty: "EC", crv: "P-256", x: coordinate(wx), y: coordinate(wy) };
}

/**
 * What we do with each flag that Wycheproof marks `acceptable` (either answer is allowed; we pick one and say why).
 * A new acceptable flag in an updated file fails the test until it is decided here.
 */
const ACCEPTABLE: Record<string, { accept: boolean; why: string }> = {
  // RS256: DigestInfo whose AlgorithmIdentifier omits the NULL parameters.
  MissingNull: {
    accept: false,
    why: "RFC 8017 §9.2 note 1 fixes the DigestInfo bytes, NULL included; we compare the whole encoding, and no " +
      "IdP signs without it, so the alternative encoding is refused (fail closed, no second form to analyse)",
  },
};

/** Run every test of one file; returns a failure line per disagreement and the count of tests run. */
async function runFile(file: string, alg: string): Promise<{ failures: string[]; ran: number; total: number }> {
  const doc = JSON.parse(await Deno.readTextFile(new URL(file, DIR))) as VectorFile;
  const spec = ALGORITHMS.get(alg)!;
  const failures: string[] = [];
  let ran = 0;
  for (const group of doc.testGroups) {
    const jwk = groupJwk(group);
    const selected = selectKey(await importJwks({ keys: [jwk] }), spec, undefined);
    if (selected.kind !== "found" || selected.entry.unusable !== undefined) {
      failures.push(`${file}: the group key ${JSON.stringify(jwk)} was not usable for ${alg} (${selected.kind})`);
      continue;
    }
    for (const t of group.tests) {
      ran++;
      let want = t.result === "valid";
      if (t.result === "acceptable") {
        const undecided = t.flags.filter((f) => ACCEPTABLE[f] === undefined);
        if (undecided.length > 0) {
          failures.push(`${file} #${t.tcId}: acceptable flags ${undecided.join(", ")} are not decided in ACCEPTABLE`);
          continue;
        }
        want = t.flags.every((f) => ACCEPTABLE[f]!.accept);
      }
      // The signing input is a string of code units 0..255: latin1 maps it back to the vector's exact bytes.
      const message = Buffer.from(t.msg, "hex").toString("latin1");
      const got = await verifySignature(spec, selected.entry, message, new Uint8Array(Buffer.from(t.sig, "hex")));
      if (got !== want) {
        failures.push(
          `${file} #${t.tcId} (${t.result}, ${t.flags.join(" ")}: ${t.comment}): ${got ? "accepted" : "refused"}`,
        );
      }
      if (t.result !== "valid") continue;
      for (const [how, sig] of sameValueSpellings(Buffer.from(t.sig, "hex"), selected.entry.rsa?.n)) {
        if (await verifySignature(spec, selected.entry, message, sig)) {
          failures.push(`${file} #${t.tcId} (valid) was accepted with ${how}`);
        }
      }
    }
  }
  return { failures, ran, total: doc.numberOfTests };
}

/**
 * Other spellings of a valid signature that keep its value (the integer for RSA, the bytes for ECDSA and EdDSA):
 * a zero byte in front or behind, and for RSA s + n when that still fits in k bytes. Each must be refused: the JWS
 * signature has exactly one form (RFC 8017 §8.2.2 step 1, RFC 7518 §3.4, RFC 8032 §5.1.7).
 */
function sameValueSpellings(sig: Buffer, n: bigint | undefined): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [
    ["a leading zero byte", new Uint8Array(Buffer.concat([Buffer.of(0), sig]))],
    ["a trailing zero byte", new Uint8Array(Buffer.concat([sig, Buffer.of(0)]))],
  ];
  if (n !== undefined) {
    const unreduced = (BigInt("0x" + sig.toString("hex")) + n).toString(16).padStart(sig.length * 2, "0");
    if (unreduced.length === sig.length * 2) out.push(["s + n", new Uint8Array(Buffer.from(unreduced, "hex"))]);
  }
  return out;
}

for (
  const [file, alg] of [
    ["rsa_signature_2048_sha256_test.json", "RS256"],
    ["rsa_pss_2048_sha256_mgf1_32_test.json", "PS256"],
    ["ecdsa_secp256r1_sha256_p1363_test.json", "ES256"],
    ["ed25519_test.json", "EdDSA"],
  ] as const
) {
  Deno.test(`verifySignature() accepts every valid and refuses every invalid Wycheproof ${alg} vector`, async () => {
    const { failures, ran, total } = await runFile(file, alg);
    assertEquals(failures, []);
    assertEquals(ran, total, "every test in the file ran");
  });
}
