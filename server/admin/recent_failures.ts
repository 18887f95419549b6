/**
 * @module The dashboard's recent failures: newest first, repeats folded into one row with a count, and a few rows per
 * client address at most, so one noisy source cannot push everyone else's failures off the list.
 */

export interface FailureRecord {
  timestamp: string;
  type: string;
  subject?: string;
  client_ip?: string;
  reason?: string;
  error?: string;
  /** Failures this row stands for, when more than one (repeats from the same address, type and reason). */
  count?: number;
}

export interface RecentFailures {
  /** Add a failure (`count` > 1 for an aggregated audit line). */
  add(record: FailureRecord): void;
  /** The rows, newest first (copies). */
  list(): FailureRecord[];
}

/**
 * At most `max` rows (default 50) and `perSource` rows per client address (default 5). A failure with the same type,
 * address and reason as a listed row replaces it at the top with the counts added: a flood shows as one row.
 */
export function createRecentFailures(options: { max?: number; perSource?: number } = {}): RecentFailures {
  const max = options.max ?? 50;
  const perSource = options.perSource ?? 5;
  const rows: FailureRecord[] = [];
  const same = (a: FailureRecord, b: FailureRecord) =>
    a.type === b.type && a.client_ip === b.client_ip && a.reason === b.reason;
  return {
    add(record) {
      const i = rows.findIndex((r) => same(r, record));
      const count = (record.count ?? 1) + (i >= 0 ? rows[i]!.count ?? 1 : 0);
      if (i >= 0) rows.splice(i, 1);
      rows.unshift(count > 1 ? { ...record, count } : { ...record });
      if (record.client_ip !== undefined) {
        let seen = 0;
        for (let j = 0; j < rows.length; j++) {
          if (rows[j]!.client_ip === record.client_ip && ++seen > perSource) rows.splice(j--, 1);
        }
      }
      rows.length = Math.min(rows.length, max);
    },
    list: () => rows.map((r) => ({ ...r })),
  };
}
