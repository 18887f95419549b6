/** @module Find the Talos OS CA in secrets.yaml (`certs.os`) or a control-plane machine config (`machine.ca`). */

import { parseAllDocuments } from "yaml";
import { TalosOidcError } from "../../shared/errors.ts";
import { pemText } from "./pem.ts";

const HINT = "give secrets.yaml (talosctl gen secrets) or controlplane.yaml; worker configs carry no CA key";

function fail(message: string, hint = HINT): TalosOidcError {
  return new TalosOidcError("ERR_CA", `reading the Talos CA from YAML: ${message}`, { hint });
}

type Pair = { crt?: unknown; key?: unknown };

function get(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[p] : undefined;
  return cur;
}

/**
 * The OS CA certificate and key PEM from Talos YAML: `certs.os.crt/key` (secrets.yaml) or `machine.ca.crt/key`
 * (controlplane.yaml, any document of a multi-document config). Values are base64 of PEM there; PEM is returned.
 * Throws ERR_CA for a worker config (certificate without key), a talosconfig, or anything else.
 */
export function caFromTalosSecrets(yamlText: string): { certPem: string; keyPem: string } {
  const docs = parseAllDocuments(yamlText);
  for (const doc of docs) {
    // YAML errors quote the source text, which may hold the key: report only the position.
    const err = doc.errors[0];
    if (err) throw fail(`it is not valid YAML (line ${err.linePos?.[0].line ?? "?"})`);
  }
  for (const value of docs.map((d) => d.toJS() as unknown)) {
    const pair = (get(value, "certs", "os") ?? get(value, "machine", "ca")) as Pair | undefined;
    if (pair === undefined || pair === null) {
      if (get(value, "contexts") !== undefined) {
        throw fail("this is a talosconfig: it holds a client certificate, not the CA");
      }
      continue;
    }
    const where = get(value, "certs", "os") !== undefined ? "certs.os" : "machine.ca";
    if (typeof pair.crt !== "string" || pair.crt.trim() === "") throw fail(`${where}.crt is missing`);
    if (typeof pair.key !== "string" || pair.key.trim() === "") {
      throw fail(
        `${where}.key is empty: this looks like a worker config, which carries only the CA certificate`,
        "use the control-plane config (controlplane.yaml) or secrets.yaml, which hold the CA key",
      );
    }
    const certPem = pemText(pair.crt);
    const keyPem = pemText(pair.key);
    if (certPem === undefined) throw fail(`${where}.crt is neither PEM nor base64 of PEM`);
    if (keyPem === undefined) throw fail(`${where}.key is neither PEM nor base64 of PEM`);
    return { certPem, keyPem };
  }
  throw fail("found neither certs.os (secrets.yaml) nor machine.ca (controlplane.yaml)");
}
