/**
 * The Reviews section of the Bighead sidebar: pending reviews (what reviewers decide)
 * and the user's own; a click opens one in the main area.
 */
import * as React from 'react';

import { IReview } from '../api/reviews';
import { useArea, useSignal } from '../core/react';
import { IBigheadModels } from '../tokens';
import { reviewsOf } from './model';
import { reviewTitle } from './permissions';

function ReviewRow(props: { review: IReview; onOpen: (id: string) => void }): JSX.Element {
  const r = props.review;
  return (
    <li className="jp-bighead-feature-row" data-review={r.id} data-state={r.state}>
      <button className="jp-bighead-link" onClick={() => props.onOpen(r.id)}>
        {reviewTitle(r)}
      </button>
      <span className="jp-bighead-muted"> by {r.author}</span> <span className="jp-bighead-tag">{r.state}</span>
    </li>
  );
}

export function ReviewsSection(props: { areas: IBigheadModels; onOpen: (id: string) => void }): JSX.Element {
  const model = reviewsOf(props.areas);
  useArea(model);
  const { status } = props.areas;
  useSignal(status.changed);
  // The user's own list needs their name: read again once the status says it.
  const me = status.user?.name ?? null;
  React.useEffect(() => void model.refresh(), [model, me]);
  const lists = model.data;
  const reviewer = status.can('review');
  const writer = status.can('write');
  const pending = lists?.pending.items ?? [];
  const mine = lists?.mine?.items ?? [];
  return (
    <section className="jp-bighead-section" data-section="reviews" aria-labelledby="jp-bighead-reviews-title">
      <header className="jp-bighead-section-header">
        <h3 id="jp-bighead-reviews-title">Reviews</h3>
        <button className="jp-bighead-link" onClick={() => void model.invalidate()} aria-label="Refresh reviews">
          ↻
        </button>
      </header>
      <h4>Pending{reviewer ? ': yours to decide' : ''}</h4>
      {lists && pending.length === 0 && <p className="jp-bighead-muted">No review is pending.</p>}
      <ul className="jp-bighead-feature-list" data-testid="pending-reviews">
        {pending.map(r => (
          <ReviewRow key={r.id} review={r} onOpen={props.onOpen} />
        ))}
      </ul>
      {(writer || mine.length > 0) && (
        <>
          <h4>My reviews</h4>
          {lists?.mine && mine.length === 0 && (
            <p className="jp-bighead-muted">None yet: open a model version and click Request review.</p>
          )}
          <ul className="jp-bighead-feature-list" data-testid="my-reviews">
            {mine.map(r => (
              <ReviewRow key={r.id} review={r} onOpen={props.onOpen} />
            ))}
          </ul>
        </>
      )}
      {model.error && <div className="jp-bighead-error" role="alert">{model.error.message}</div>}
    </section>
  );
}
