/**
 * The review gate in the model view: *Request review* on a version, and the model's
 * audit history (review steps and alias moves, each with who and when).
 */
import * as React from 'react';

import { errorText } from '../api/request';
import { useInvalidated, useSignal } from '../core/react';
import { gate } from '../status/permissions';
import { IBigheadModels } from '../tokens';
import { IAliasEvent, historyLines, historyText, IHistoryLine } from './history';
import { reviewsOf } from './model';

/** Aliases whose moves the history lists besides review steps. */
const HISTORY_ALIASES = ['production', 'staging'];

/** *Request review* of `name` v`version` for production (needs write). */
export function RequestReview(props: { areas: IBigheadModels; name: string; version: number; aliases: string[] }): JSX.Element {
  const { areas } = props;
  const [message, setMessage] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  useSignal(areas.status.changed);
  const request = async (): Promise<void> => {
    setBusy(true);
    try {
      const review = await areas.client.reviews.create(`${props.name}:${props.version}`, { alias: 'production' });
      setMessage(`Review requested (${review.id}): reviewers see it under Reviews.`);
      setError(null);
      void reviewsOf(areas).invalidate();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const already = props.aliases.includes('production');
  const permitted = already
    ? { allowed: false, reason: 'production already points at this version' }
    : areas.status.permit('write', 'Requesting a review');
  return (
    <span className="jp-bighead-request-review">
      <button className="jp-mod-styled" onClick={() => void request()} {...gate(permitted, busy)}>
        Request review
      </button>
      {message && (
        <span className="jp-bighead-muted" role="status">
          {' '}
          {message}
        </span>
      )}
      {error && <div className="jp-bighead-error" role="alert">{error}</div>}
    </span>
  );
}

/** The model's audit history: review steps and alias moves, newest first. */
export function ReviewHistory(props: { areas: IBigheadModels; name: string }): JSX.Element {
  const { areas, name } = props;
  const [lines, setLines] = React.useState<IHistoryLine[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  // The models and reviews areas are invalidated on the same poll: read once for both.
  const last = React.useRef(0);
  const load = React.useCallback(async (force = false) => {
    if (!force && Date.now() - last.current < 1000) {
      return;
    }
    last.current = Date.now();
    try {
      const [reviews, ...moves] = await Promise.all([
        areas.client.reviews.list({ model: name, limit: 200 }),
        ...HISTORY_ALIASES.map(a => areas.client.models.aliasHistory(name, a, { limit: 100 }))
      ]);
      setLines(historyLines(reviews.items, moves.flatMap(p => p.items as IAliasEvent[])));
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }, [areas, name]);
  React.useEffect(() => void load(true), [load]);
  useInvalidated(areas.models, load);
  useInvalidated(reviewsOf(areas), load);
  return (
    <section className="jp-bighead-history" data-testid="model-history">
      <h4>History</h4>
      {error && <div className="jp-bighead-error" role="alert">{error}</div>}
      {lines && lines.length === 0 && <p className="jp-bighead-muted">No reviews or alias moves yet.</p>}
      <ul>
        {(lines ?? []).slice(0, 100).map((line, i) => (
          <li key={i} data-action={line.action}>
            <span className="jp-bighead-muted">{line.at.slice(0, 16).replace('T', ' ')}</span> {historyText(line)}
          </li>
        ))}
      </ul>
    </section>
  );
}
