/** @module Benchmark: ID token verification per alg, ours vs jose.jwtVerify vs node:crypto, against openssl speed. */

import { Buffer } from "node:buffer";
import { type KeyObject, sign, verify } from "node:crypto";
import * as jose from "jose";
import { DEFAULT_ALGORITHMS } from "../../server/oidc/algorithms.ts";
import { forgeJws, type KeyPair, keyPair, publicJwk, startStaticIssuer } from "../helpers/jws_forge.ts";
import { createIdTokenVerifier } from "../../server/oidc/verifier.ts";
import { opensslSpeed, rate } from "./measure.ts";
import type { BenchContext, BenchRow, BenchSection } from "./types.ts";

const TOKENS_PER_ALG = 48;
const OPENSSL_SECONDS = 2;

/** Key pair and node:crypto verify options for each alg. */
function keyFor(alg: string, keys: Record<string, KeyPair>): { kid: string; pair: KeyPair } {
  if (alg.startsWith("RS") || alg.startsWith("PS")) return { kid: "rsa", pair: keys.rsa! };
  if (alg === "EdDSA") return { kid: "ed", pair: keys.ed! };
  const kid = { ES256: "p256", ES384: "p384", ES512: "p521" }[alg]!;
  return { kid, pair: keys[kid]! };
}

function nodeVerifier(alg: string, publicKey: KeyObject): (input: Buffer, sig: Buffer) => boolean {
  const hash = `sha${alg.slice(2)}`;
  if (alg === "EdDSA") return (input, sig) => verify(null, input, publicKey, sig);
  if (alg.startsWith("ES")) {
    return (input, sig) => verify(hash, input, { key: publicKey, dsaEncoding: "ieee-p1363" }, sig);
  }
  if (alg.startsWith("PS")) {
    const options = { key: publicKey, padding: 6, saltLength: Number(alg.slice(2)) / 8 }; // 6 = RSA_PKCS1_PSS_PADDING
    return (input, sig) => verify(hash, input, options, sig);
  }
  return (input, sig) => verify(hash, input, publicKey, sig);
}

const round = (x: number) => Math.round(x);
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

export async function run(ctx: BenchContext): Promise<BenchSection[]> {
  const speed = await opensslSpeed(OPENSSL_SECONDS, ["rsa2048", "ed25519"], ctx.log);
  const ossl = speed.rsaVerify && speed.edSign && speed.edVerify
    ? { rsaVerify: speed.rsaVerify, edSign: speed.edSign, edVerify: speed.edVerify }
    : undefined;
  const perRun = Math.min(0.5, Math.max(0.15, (ctx.budgetSeconds - 4 * OPENSSL_SECONDS - 6) / 32));
  const keys = {
    rsa: keyPair("rsa"),
    p256: keyPair("p256"),
    p384: keyPair("p384"),
    p521: keyPair("p521"),
    ed: keyPair("ed25519"),
  };
  const jwks = { keys: Object.entries(keys).map(([kid, pair]) => publicJwk(pair, { kid, use: "sig" })) };
  await using issuer = await startStaticIssuer(jwks);
  const ours = createIdTokenVerifier({ issuer: issuer.issuer, clientId: "talosctl" });
  await ours.warmUp();
  const joseKeys = jose.createLocalJWKSet(jwks);
  const joseOptions = {
    issuer: issuer.issuer,
    audience: "talosctl",
    algorithms: [...DEFAULT_ALGORITHMS],
    requiredClaims: ["exp", "sub"],
    clockTolerance: 60,
  };
  const now = Math.floor(Date.now() / 1000);
  const vsJose: BenchRow[] = [];
  const vsNode: BenchRow[] = [];
  const measured: Record<string, number> = {};
  for (const alg of DEFAULT_ALGORITHMS) {
    const { kid, pair } = keyFor(alg, keys);
    const tokens = Array.from(
      { length: TOKENS_PER_ALG },
      (_, i) =>
        forgeJws({ alg, kid, typ: "JWT" }, {
          iss: issuer.issuer,
          aud: "talosctl",
          sub: `user-${i}`,
          iat: now,
          exp: now + 3600,
          groups: ["talos-admins"],
        }, pair.privateKey),
    );
    const parts = tokens.map((t) => {
      const at = t.lastIndexOf(".");
      return { input: Buffer.from(t.slice(0, at)), sig: Buffer.from(t.slice(at + 1), "base64url") };
    });
    const nodeCheck = nodeVerifier(alg, pair.publicKey);
    const a = await rate(perRun, (i) => ours.verify(tokens[i % TOKENS_PER_ALG]!));
    const b = await rate(perRun, (i) => jose.jwtVerify(tokens[i % TOKENS_PER_ALG]!, joseKeys, joseOptions));
    const c = await rate(perRun, (i) => nodeCheck(parts[i % TOKENS_PER_ALG]!.input, parts[i % TOKENS_PER_ALG]!.sig));
    measured[alg] = a;
    ctx.log(`${alg}: ours ${round(a)}/s, jose ${round(b)}/s, node:crypto ${round(c)}/s`);
    vsJose.push({
      name: `verify() ${alg}`,
      value: round(a),
      unit: "tokens/s",
      baseline: `jose.jwtVerify ${alg}`,
      baselineValue: round(b),
      ratio: ratio(a, b),
    });
    vsNode.push({
      name: `verify() ${alg}`,
      value: round(a),
      unit: "tokens/s",
      baseline: `node:crypto verify ${alg} (signature only)`,
      baselineValue: round(c),
      ratio: ratio(a, c),
    });
  }
  const edSignInput = Buffer.from("x".repeat(600));
  const edSign = await rate(perRun, () => sign(null, edSignInput, keys.ed.privateKey));
  const sections: BenchSection[] = [
    {
      title: "ID token verification, one core: ours vs jose.jwtVerify (full verify, same claims rules)",
      rows: vsJose,
      notes: [
        `${TOKENS_PER_ALG} distinct tokens per alg, sequential awaits, ~${
          perRun.toFixed(2)
        } s per figure; higher is better.`,
      ],
    },
    {
      title: "ID token verification, one core: full verify() vs a bare node:crypto signature check",
      rows: vsNode,
      notes: [
        "node:crypto here runs only the signature primitive; verify() also parses, checks claims and selects the key.",
      ],
    },
  ];
  if (ossl) {
    const exchange = (v: number, s: number) => 1 / (1 / v + 1 / s);
    sections.push({
      title: "Against OpenSSL on this machine (openssl speed, one core)",
      rows: [
        {
          name: "verify() RS256",
          value: round(measured.RS256!),
          unit: "tokens/s",
          baseline: "openssl speed rsa2048 verify/s",
          baselineValue: round(ossl.rsaVerify),
          ratio: ratio(measured.RS256!, ossl.rsaVerify),
        },
        {
          name: "verify() EdDSA",
          value: round(measured.EdDSA!),
          unit: "tokens/s",
          baseline: "openssl speed ed25519 verify/s",
          baselineValue: round(ossl.edVerify),
          ratio: ratio(measured.EdDSA!, ossl.edVerify),
        },
        {
          name: "node:crypto Ed25519 sign",
          value: round(edSign),
          unit: "signs/s",
          baseline: "openssl speed ed25519 sign/s",
          baselineValue: round(ossl.edSign),
          ratio: ratio(edSign, ossl.edSign),
        },
        {
          name: "exchange crypto per core: verify() RS256 + node:crypto Ed25519 sign",
          value: round(exchange(measured.RS256!, edSign)),
          unit: "req/s",
          baseline: "openssl speed rsa2048 verify + ed25519 sign (per core)",
          baselineValue: round(exchange(ossl.rsaVerify, ossl.edSign)),
          ratio: ratio(exchange(measured.RS256!, edSign), exchange(ossl.rsaVerify, ossl.edSign)),
        },
      ],
      notes: [
        `openssl speed -seconds ${OPENSSL_SECONDS} rsa2048 ed25519, run first in the same process run; ratio = ours / openssl.`,
      ],
    });
  }
  return sections;
}
