/**
 * @module Differential test of CSR parsing (attacker input): csrPublicKey() against @peculiar/x509 (parse + verify) on
 * seeded mutations of real CSRs. Both must agree, on the key too; where ours alone refuses, a written rule says why.
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { Buffer } from "node:buffer";
import { createPublicKey } from "node:crypto";
import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { baseCsrs, CSR_MUTATIONS, hexOf } from "../../tests/helpers/csr_mutations.ts";
import { seededRandom } from "../../tests/helpers/seeded_random.ts";
import { csrPublicKey } from "./csr.ts";
import { toPem } from "./pem.ts";

const CASES = 1500;

/**
 * Where csrPublicKey() refuses what @peculiar/x509 accepts, the refusal must match one of these rules, each a
 * deliberate strictness. Anything else, or ours accepting what x509 refuses, fails the test.
 */
const STRICTER: [RegExp, string][] = [
  [
    /DER: trailing bytes after the element/,
    "a CSR is exactly one DER element; x509 ignores bytes after it, so the same request could carry anything behind",
  ],
  [
    /DER: (non-minimal length|unsupported length form)/,
    "DER has one length encoding (X.690 §10.1); x509 reads BER forms (long, indefinite), two spellings of one request",
  ],
  [
    /DER: (element runs past the end of its container|truncated header)/,
    "a child must end inside its parent; x509's asn1js reads a child past its parent's end, so the bytes have two " +
    "readings",
  ],
  [
    /DER: (SEQUENCE or SET in primitive form|tag 0x[0-9a-f]+ in constructed form)/,
    "X.690 §8.9, §8.11, §10.2: one form per universal type",
  ],
  [
    /DER: (INTEGER|BIT STRING|NULL|BOOLEAN|PrintableString|UTF8String|IA5String) /,
    "every universal primitive holds valid DER content (X.690 §8.2-8.8, §11.2; X.680 alphabets); x509 takes a " +
    "non-minimal INTEGER, set unused bits, a NULL with content or a string outside its alphabet where it does not " +
    "interpret the value",
  ],
  [
    /does not have its \d fields of the right types|has no SubjectPublicKeyInfo|high tag numbers/,
    "every field has its own universal tag; x509's asn1-schema takes a field under another tag (a SEQUENCE as [0], " +
    "a high tag number) as long as the content fits",
  ],
  [/CertificationRequestInfo version must be 0/, "RFC 2986 §4.1: version is 0; x509 takes any INTEGER"],
  [
    /CertificationRequestInfo has fields after its attributes/,
    "RFC 2986 §4.1 has four fields and no extension marker; x509 skips unknown trailing fields of the signed info",
  ],
  [
    /subject is not a Name|RelativeDistinguishedName|AttributeTypeAndValue|malformed Attribute|attributes are not \[0\]/,
    "RFC 5280 §4.1.2.4 and RFC 2986 §4.1 structure of Name and Attributes, checked although the issuer ignores them",
  ],
  [
    /its ECDSA signature is not a DER Ecdsa-Sig-Value/,
    "an ECDSA signature has one encoding (RFC 3279 §2.2.3), the only one OpenSSL and Go verify; x509's asn1js reads " +
    "a wrong SEQUENCE length in it leniently",
  ],
  [
    /its public key cannot be read/,
    "node:crypto (OpenSSL) reads only well-formed keys, e.g. a SEC 1 point whose prefix fits its length; x509 hands " +
    "the key to WebCrypto, which took a point with a 0x02 prefix and 64 bytes",
  ],
  [/signature BIT STRING with unused bits/, "a signature is whole octets; x509 verifies and ignores the unused bits"],
  [
    /unsupported signature algorithm/,
    "policy: ECDSA with SHA-2, RSA PKCS#1 v1.5 with SHA-2, Ed25519; no SHA-1, MD5, RSA-PSS or Ed448",
  ],
  [
    /has parameters it does not take/,
    "RFC 5758 §3.2 and RFC 8410 §3: ECDSA and Ed25519 signature AlgorithmIdentifiers have no parameters",
  ],
  [/OBJECT IDENTIFIER/, "X.690 §8.19: one (minimal) encoding per OBJECT IDENTIFIER"],
];

type Outcome = { ok: true; spki: string } | { ok: false; why: string };

/** Ours: the key csrPublicKey() returns, or its message with the cause naming the rule that refused. */
function ours(der: Uint8Array): Outcome {
  try {
    return { ok: true, spki: hexOf(csrPublicKey(toPem("CERTIFICATE REQUEST", der))) };
  } catch (err) {
    const cause = (err as Error).cause as Error | undefined;
    return { ok: false, why: `${(err as Error).message}${cause ? ` (${cause.message})` : ""}` };
  }
}

/** The reference: @peculiar/x509 parses the request and verifies its self-signature with WebCrypto. */
async function reference(der: Uint8Array): Promise<Outcome> {
  try {
    const csr = new x509.Pkcs10CertificateRequest(new Uint8Array(der));
    if (!(await csr.verify())) return { ok: false, why: "signature does not verify" };
    const key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: "der", type: "spki" });
    return { ok: true, spki: hexOf(key.export({ type: "spki", format: "der" })) };
  } catch (err) {
    return { ok: false, why: String(err) };
  }
}

Deno.test("csrPublicKey() agrees with @peculiar/x509 on mutated CSRs, or refuses for a written reason", async () => {
  x509.cryptoProvider.set(crypto);
  const random = seededRandom(0xc5a);
  const bases = await baseCsrs();
  for (const base of bases) {
    const [a, b] = [ours(base.der), await reference(base.der)];
    assert(a.ok && b.ok && a.spki === b.spki, `the unmutated ${base.kind} CSR: ours ${JSON.stringify(a)}`);
  }
  const tally = { agreed: 0, bothAccepted: 0, stricter: new Map<string, number>() };
  const problems: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const base = random.pick(bases);
    const [name, mutate] = random.pick(Object.entries(CSR_MUTATIONS));
    const der = mutate(base, random);
    const [a, b] = [ours(der), await reference(der)];
    const where = `#${i} ${name} (${base.kind} CSR)`;
    if (a.ok && b.ok) {
      if (a.spki === b.spki) (tally.agreed++, tally.bothAccepted++);
      else problems.push(`${where}: both accept, different keys: ours ${a.spki} x509 ${b.spki} :: ${hexOf(der)}`);
    } else if (!a.ok && !b.ok) tally.agreed++;
    else if (a.ok) {
      problems.push(`${where}: ours accepts, x509 refuses (${(b as { why: string }).why}) :: ${hexOf(der)}`);
    } else {
      const rule = STRICTER.find(([re]) => re.test(a.why));
      if (rule) tally.stricter.set(rule[1], (tally.stricter.get(rule[1]) ?? 0) + 1);
      else problems.push(`${where}: ours refuses with no written rule (${a.why}), x509 accepts :: ${hexOf(der)}`);
    }
  }
  assertEquals(problems.slice(0, 5), [], `${random.label}: ${problems.length} problems`);
  // The mutations must reach both sides of the parser, or agreement proves little.
  const summary = JSON.stringify({ ...tally, stricter: Object.fromEntries(tally.stricter) });
  assert(tally.bothAccepted > CASES / 40 && tally.agreed > CASES / 2, `${random.label}: ${summary}`);
});
