/** @module The shape every dashboard table shares (one heading row, then the rows), and how its times read. */

import type { Child } from "hono/jsx";

/** An RFC 3339 time as the tables show it: a space for the T, no fraction of a second. */
export const when = (iso: string) => iso.replace("T", " ").replace(/\.\d+Z$/, "Z");

/** A table: the column headings (null: a column not shown), then the rows the caller renders. */
export function Table(props: { id: string; head: (string | null)[]; children: Child }) {
  return (
    <table id={props.id}>
      <thead>
        <tr>{props.head.map((h) => (h === null ? null : <th>{h}</th>))}</tr>
      </thead>
      <tbody>{props.children}</tbody>
    </table>
  );
}
