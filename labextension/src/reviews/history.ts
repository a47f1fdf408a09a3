/**
 * A model's audit trail as lines: every review step (requested, commented, approved,
 * rejected, withdrawn, moved) and the alias moves made outside reviews, newest first;
 * the same merge as `jupyter_bighead.reviews.history` does in Python.
 */
import { IReview } from '../api/reviews';

/** One alias move, as `GET models/{name}/aliases/{alias}/history` lists it. */
export interface IAliasEvent {
  id: number;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  action: string;
  at: string;
  by: string;
}

export interface IHistoryLine {
  at: string;
  by: string;
  /** A review step, or `alias_set`, `alias_rollback`, `alias_delete`. */
  action: string;
  version: number | null;
  alias: string;
  review: string | null;
  text: string;
}

/** Review steps and the alias moves no review step already records, newest first. */
export function historyLines(reviews: IReview[], moves: IAliasEvent[]): IHistoryLine[] {
  const out: IHistoryLine[] = [];
  const linked = new Set<number>();
  for (const r of reviews) {
    for (const e of r.events) {
      out.push({ at: e.at, by: e.by, action: e.action, version: r.version, alias: r.alias, review: r.id, text: e.text });
      if (e.action === 'moved' && typeof e.alias_event === 'number') {
        linked.add(e.alias_event);
      }
    }
  }
  for (const m of moves) {
    if (!linked.has(m.id)) {
      out.push({ at: m.at, by: m.by, action: `alias_${m.action}`, version: m.to_version, alias: m.alias, review: null, text: '' });
    }
  }
  return out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

/** "rita approved v2 for production: looks right". */
export function historyText(line: IHistoryLine): string {
  const version = line.version === null ? '' : ` v${line.version}`;
  const what: { [action: string]: string } = {
    requested: `requested a review of${version} for ${line.alias}`,
    commented: `commented on the review of${version}`,
    approved: `approved${version} for ${line.alias}`,
    rejected: `rejected${version} for ${line.alias}`,
    withdrawn: `withdrew the review of${version} for ${line.alias}`,
    moved: `moved ${line.alias} to${version} (approved review)`,
    alias_set: `set ${line.alias} to${version}`,
    alias_rollback: `rolled ${line.alias} back to${version}`,
    alias_delete: `removed ${line.alias}`
  };
  const text = line.text ? `: ${line.text}` : '';
  return `${line.by} ${what[line.action] ?? line.action}${text}`;
}
