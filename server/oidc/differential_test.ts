/** @module Differential test: our verifier and jose.jwtVerify (+ our extra rules) agree on thousands of random tokens. */

import { createPublicKey, type KeyObject } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import * as jose from "jose";
import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { generateSigningKey, startTestIdp } from "../../tests/helpers/idp.ts";
import { seededRandom } from "../../tests/helpers/seeded_random.ts";
import { DEFAULT_ALGORITHMS } from "./algorithms.ts";
import { invalidTokenReason } from "./invalid.ts";
import { type KeyPair, keyPair, publicJwk, startStaticIssuer } from "../../tests/helpers/jws_forge.ts";
import { describeToken, type Fixture, randomCase, type Signer } from "../../tests/helpers/jws_mutations.ts";
import { type Outcome, referenceOutcome } from "../../tests/helpers/jws_reference.ts";
import { createIdTokenVerifier } from "./verifier.ts";

const CASES = 1200;
const TOLERANCE = 60;

const RSA_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];

function strangers(): Signer[] {
  const rsa = generateSigningKey("RS256").privateKey;
  return [
    ...["RS256", "PS256"].map((alg) => ({ alg, key: rsa })),
    { alg: "ES256", key: generateSigningKey("ES256").privateKey },
    { alg: "EdDSA", key: generateSigningKey("EdDSA").privateKey },
  ];
}

function confusionSecrets(publicKey: KeyObject, jwk: unknown): Uint8Array[] {
  const enc = new TextEncoder();
  return [enc.encode(publicKey.export({ type: "spki", format: "pem" }) as string), enc.encode(JSON.stringify(jwk))];
}

/** Run `CASES` random tokens through both verifiers; returns the disagreements and a tally of outcomes. */
async function differential(fx: Fixture, fixedSeed: number) {
  const now = new Date();
  const nowSec = Math.floor(now.getTime() / 1000);
  const verifier = createIdTokenVerifier({ issuer: fx.issuer, clientId: fx.clientId, now: () => now });
  assert(await verifier.warmUp());
  const keys = jose.createLocalJWKSet(await (await fetch(`${fx.issuer}/jwks`)).json());
  const refOptions = {
    issuer: fx.issuer,
    clientId: fx.clientId,
    now,
    toleranceSec: TOLERANCE,
    algorithms: [...DEFAULT_ALGORITHMS],
  };
  const random = seededRandom(fixedSeed);
  const rand = random.next;
  const mismatches: string[] = [];
  const tally = new Map<string, number>();
  for (let i = 0; i < CASES; i++) {
    const c = randomCase(rand, fx, nowSec, TOLERANCE);
    const ours: Outcome = await verifier.verify(c.token).then(
      (v) => ({ ok: true, claims: v.claims }),
      (err) => ({ ok: false, reason: invalidTokenReason(err) ?? "other", why: String(err) }),
    );
    const ref = await referenceOutcome(c.token, keys, refOptions);
    const key = ours.ok ? "accepted" : ours.reason;
    tally.set(key, (tally.get(key) ?? 0) + 1);
    const agree = ours.ok === ref.ok && (!ours.ok || isDeepStrictEqual(ours.claims, ref.ok && ref.claims)) &&
      (ours.ok || ours.reason !== "other");
    if (!agree) {
      mismatches.push(
        `#${i} [${c.label.join(", ")}] ours=${ours.ok ? "ok" : `${ours.reason} (${ours.why})`} ` +
          `reference=${ref.ok ? "ok" : `${ref.reason} (${ref.why})`} :: ${describeToken(c.token)}`,
      );
    }
  }
  return { mismatches, tally, seed: random.label };
}

function assertAgreement(result: Awaited<ReturnType<typeof differential>>): void {
  assertEquals(result.mismatches.slice(0, 10), [], `${result.seed}: ${result.mismatches.length} disagreements`);
  const accepted = result.tally.get("accepted") ?? 0;
  // The generator must exercise both sides, or agreement proves little.
  assert(accepted > CASES * 0.1 && accepted < CASES * 0.6, `${result.seed}: accepted ${accepted} of ${CASES}`);
  for (const reason of ["malformed", "bad_signature", "expired", "audience_mismatch", "alg_not_allowed"]) {
    assert((result.tally.get(reason) ?? 0) > 0, `${result.seed}: no case was refused as ${reason}`);
  }
}

Deno.test("verify() agrees with jose.jwtVerify plus our extra rules on random tokens from the real IdP", async () => {
  await using idp = await startTestIdp();
  const rsa = idp.keys.RS256;
  const fx: Fixture = {
    issuer: idp.issuer,
    clientId: idp.clientId,
    signers: [
      ...RSA_ALGS.map((alg) => ({ alg, kid: rsa.kid, key: rsa.privateKey })),
      { alg: "ES256", kid: idp.keys.ES256.kid, key: idp.keys.ES256.privateKey },
      { alg: "EdDSA", kid: idp.keys.EdDSA.kid, key: idp.keys.EdDSA.privateKey },
    ],
    strangers: strangers(),
    confusionSecrets: confusionSecrets(rsa.publicKey, rsa.publicKey.export({ format: "jwk" })),
  };
  assertAgreement(await differential(fx, 0x5eed));
});

Deno.test("verify() agrees with jose.jwtVerify on key selection over an awkward JWKS", async () => {
  const k: Record<string, KeyPair> = {
    rsaA: keyPair("rsa"),
    rsaB: keyPair("rsa"),
    weak: keyPair("rsa1024"),
    e3: keyPair("rsa-e3"),
    p384: keyPair("p384"),
    p521: keyPair("p521"),
    enc: keyPair("p256"),
    ed: keyPair("ed25519"),
    dupEc: keyPair("p256"),
    nokid: keyPair("p256"),
    signOnly: keyPair("p256"),
  };
  const jwks = {
    keys: [
      publicJwk(k.rsaA!, { kid: "rsa-a" }),
      publicJwk(k.rsaB!, { kid: "rsa-b", alg: "RS512", use: "sig" }),
      publicJwk(k.weak!, { kid: "weak" }),
      publicJwk(k.e3!, { kid: "rsa-e3" }),
      publicJwk(k.p384!, { kid: "p384" }),
      publicJwk(k.p521!, { kid: "p521", alg: "ES512" }),
      publicJwk(k.enc!, { kid: "p256-enc", use: "enc" }),
      publicJwk(k.ed!, { kid: "ed", key_ops: ["verify"] }),
      publicJwk(k.rsaA!, { kid: "dup" }),
      publicJwk(k.dupEc!, { kid: "dup" }),
      publicJwk(k.nokid!),
      { ...k.rsaB!.privateKey.export({ format: "jwk" }), kid: "leak" },
      publicJwk(k.signOnly!, { kid: "p256-signonly", key_ops: ["sign"] }),
    ],
  };
  await using issuer = await startStaticIssuer(jwks);
  const s = (alg: string, pair: KeyPair, kid?: string): Signer => ({ alg, key: pair.privateKey, kid });
  const fx: Fixture = {
    issuer: issuer.issuer,
    clientId: "talosctl",
    signers: [
      s("RS256", k.rsaA!, "rsa-a"),
      s("PS384", k.rsaA!, "rsa-a"),
      s("RS512", k.rsaB!, "rsa-b"),
      s("RS256", k.rsaB!, "rsa-b"),
      s("RS256", k.weak!, "weak"),
      s("RS256", k.e3!, "rsa-e3"),
      s("ES384", k.p384!, "p384"),
      s("ES512", k.p521!, "p521"),
      s("ES256", k.enc!, "p256-enc"),
      s("EdDSA", k.ed!, "ed"),
      s("RS256", k.rsaA!, "dup"),
      s("ES256", k.dupEc!, "dup"),
      s("ES256", k.nokid!),
      s("RS256", k.rsaB!, "leak"),
      s("ES256", k.signOnly!, "p256-signonly"),
    ],
    strangers: strangers(),
    confusionSecrets: confusionSecrets(createPublicKey(k.rsaA!.privateKey), jwks.keys[0]),
  };
  assertAgreement(await differential(fx, 0xfeed));
});
