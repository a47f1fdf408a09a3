/**
 * The drift table's order (no DOM: unit-tested without a browser).
 */
import { IDriftRow } from '../api/monitoring';

const SEVERITY_RANK: { [severity: string]: number } = { alert: 3, warn: 2, ok: 1 };

export type DriftSortKey = 'severity' | 'psi' | 'feature';

/** Rows sorted by `key` (severity: most severe first, then by PSI). */
export function sortDriftRows(rows: IDriftRow[], key: DriftSortKey, desc: boolean): IDriftRow[] {
  const psi = (r: IDriftRow): number => r.psi ?? -1;
  const cmp = (a: IDriftRow, b: IDriftRow): number => {
    if (key === 'feature') {
      return a.feature.localeCompare(b.feature);
    }
    if (key === 'psi') {
      return psi(a) - psi(b);
    }
    return (SEVERITY_RANK[a.severity] ?? 0) - (SEVERITY_RANK[b.severity] ?? 0) || psi(a) - psi(b);
  };
  return [...rows].sort((a, b) => cmp(a, b) * (desc ? -1 : 1));
}

