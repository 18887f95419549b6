/** @module The dashboard's block controls: the Block button on a certificate row and the list of blocks with Unblock. */

import type { Block } from "../../state/types.ts";
import { Table, when } from "./table.tsx";

/** A small form on each issued-certificate row: block this identity (a reason is required; it is audited). */
export function BlockButton(props: { csrf: string; subject: string; email: string }) {
  return (
    <form method="post" action="/admin/block" class="block-form">
      <input type="hidden" name="csrf" value={props.csrf} />
      <input type="hidden" name="subject" value={props.subject} />
      {props.email ? <input type="hidden" name="email" value={props.email} /> : null}
      <input type="text" name="reason" required maxlength={500} placeholder="reason" aria-label="reason" />
      <button type="submit" class="danger">Block</button>
    </form>
  );
}

/** The block list, each with its Unblock form. */
export function BlocksTable(props: { blocks: Block[]; csrf: string }) {
  return (
    <section>
      <h2>Blocked identities</h2>
      <p>
        A blocked identity gets 403 at /exchange on every worker and replica within a second. Certificates already
        issued stay valid until they expire (cert_ttl).
      </p>
      {props.blocks.length === 0
        ? <p class="empty">Nobody is blocked</p>
        : (
          <Table id="blocks-table" head={["Subject", "Email", "Reason", "Blocked at", "Until", ""]}>
            {props.blocks.map((b) => (
              <tr key={b.id}>
                <td>
                  <code>{b.subject ?? ""}</code>
                </td>
                <td>{b.email ?? ""}</td>
                <td>{b.reason}</td>
                <td>{when(b.created_at)}</td>
                <td>{b.until ? when(b.until) : "until removed"}</td>
                <td>
                  <form method="post" action="/admin/unblock">
                    <input type="hidden" name="csrf" value={props.csrf} />
                    <input type="hidden" name="id" value={b.id} />
                    <button type="submit">Unblock</button>
                  </form>
                </td>
              </tr>
            ))}
          </Table>
        )}
    </section>
  );
}
