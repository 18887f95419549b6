/**
 * @module A thread appending to one audit chain, as a serve worker does (server/audit/shared_chain_test.ts): it opens
 * a joined log on the chain it is sent, writes `n` cert_issued events in batches of 10 (each batch committed before the
 * next), appends each one's certs.jsonl record under the same lock, closes, and says "done" (or the error it met).
 */

import { openCertAppender } from "../../server/admin/cert_store.ts";
import { openAuditLog } from "../../server/audit/audit_log.ts";
import { SharedChain } from "../../server/audit/shared_chain.ts";

interface Job {
  path: string;
  certs: string;
  buffer: SharedArrayBuffer;
  n: number;
  name: string;
}

/** This worker's own scope (the module is checked with the window types). */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Job>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (e) => {
  const { path, certs, buffer, n, name } = e.data;
  try {
    const chain = new SharedChain(buffer);
    const log = await openAuditLog({
      path,
      chain,
      onWriteFailed: (_records, err) => scope.postMessage(`write failed: ${err}`),
    });
    const history = await openCertAppender({ path: certs, lock: chain });
    for (let i = 0; i < n; i += 10) {
      for (let j = i; j < Math.min(n, i + 10); j++) {
        const serial = `${name}-${j}`;
        log.write({ type: "cert_issued", subject: serial, cert_serial: serial });
        history.append({
          subject: serial,
          email: "",
          issued_at: new Date().toISOString(),
          expires_at: new Date().toISOString(),
          client_ip: "",
          roles: ["os:reader"],
          ttl: "5m0s",
          fingerprint: "",
          serial,
        });
      }
      await log.committed();
    }
    await log.close();
    history.close();
    scope.postMessage("done");
  } catch (err) {
    scope.postMessage(`error: ${err}`);
  }
};
