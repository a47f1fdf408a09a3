/**
 * One review in the main area: what the reviewer reads (model card, evaluation, the
 * diff against the alias's version now, the rendered report in a sandboxed frame),
 * the comments, and Approve / Reject / Withdraw for those who may.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { errorText } from '../api/request';
import { IReview, IReviewMaterial } from '../api/reviews';
import { useInvalidated, useSignal } from '../core/react';
import { bigheadIcon } from '../icons';
import { gate, IPermit } from '../status/permissions';
import { IBigheadModels } from '../tokens';
import { reviewsOf } from './model';
import { permitComment, permitDecide, permitWithdraw, reviewTitle } from './permissions';

const fmt = (value: unknown): string =>
  typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(4)) : String(value ?? '—');
const when = (at: string): string => at.slice(0, 16).replace('T', ' ');

function Metrics(props: { metrics: { [k: string]: number } | undefined; testid: string }): JSX.Element {
  return (
    <dl className="jp-bighead-status" data-testid={props.testid}>
      {Object.entries(props.metrics ?? {}).map(([k, v]) => (
        <React.Fragment key={k}>
          <dt>{k}</dt>
          <dd data-metric={k}>{fmt(v)}</dd>
        </React.Fragment>
      ))}
    </dl>
  );
}

function Material(props: { review: IReview; material: IReviewMaterial }): JSX.Element {
  const { card, evaluation, diff } = props.material;
  return (
    <div className="jp-bighead-columns">
      <div data-testid="review-card">
        <h4>Model card</h4>
        {card ? (
          <dl className="jp-bighead-status">
            <dt>Model</dt>
            <dd>{card.model_class}</dd>
            <dt>By</dt>
            <dd>
              {card.created_by} · {when(card.created_at)}
            </dd>
            <dt>Notebook</dt>
            <dd>{card.notebook ?? '—'}</dd>
            <dt>Commit</dt>
            <dd>{card.git?.commit ? String(card.git.commit).slice(0, 10) : '—'}</dd>
            <dt>Features</dt>
            <dd>{card.features.join(', ') || '—'}</dd>
          </dl>
        ) : (
          <p className="jp-bighead-muted">No model card.</p>
        )}
        <h4>Evaluation</h4>
        {evaluation?.available ? (
          <>
            <Metrics metrics={evaluation.metrics} testid="review-evaluation" />
            {(evaluation.top_features ?? []).length > 0 && (
              <p className="jp-bighead-muted">
                Top features: {(evaluation.top_features ?? []).map(f => f.feature).join(', ')}
              </p>
            )}
          </>
        ) : (
          <p className="jp-bighead-muted">{evaluation?.message ?? 'No evaluation.'}</p>
        )}
      </div>
      <div data-testid="review-diff">
        <h4>
          Against {props.review.alias}
          {diff?.against ? ` (v${diff.against})` : ''}
        </h4>
        {diff?.message && <p className="jp-bighead-muted">{diff.message}</p>}
        {diff?.compare && (
          <table className="jp-bighead-table">
            <thead>
              <tr>
                <th>metric</th>
                <th>v{diff.against}</th>
                <th>v{props.review.version}</th>
                <th>Δ</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(diff.compare.metrics).map(([k, m]) => (
                <tr key={k} data-metric={k}>
                  <td>{k}</td>
                  <td>{m.a === null ? '—' : fmt(m.a)}</td>
                  <td>{m.b === null ? '—' : fmt(m.b)}</td>
                  <td>{m.delta === null ? '' : (m.delta > 0 ? '+' : '') + fmt(m.delta)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {diff?.code &&
          (diff.code.available ? (
            <pre className="jp-bighead-code-diff" data-testid="review-code-diff" style={{ maxHeight: '40vh', overflow: 'auto' }}>
              {diff.code.changed ? diff.code.unified : 'The production code is unchanged.'}
            </pre>
          ) : (
            <p className="jp-bighead-muted">{diff.code.message}</p>
          ))}
      </div>
    </div>
  );
}

/** The report route in a sandboxed frame: scripts run, in an opaque origin. */
function ReportFrame(props: { areas: IBigheadModels; review: IReview }): JSX.Element {
  const report = props.review.material.report;
  if (!report?.available) {
    return <p className="jp-bighead-muted" data-testid="review-no-report">{report?.message || 'No reviewer report.'}</p>;
  }
  const src = URLExt.join(ServerConnection.makeSettings().baseUrl, props.areas.client.reviews.reportPath(props.review.id));
  return (
    <>
      {report.message && <p className="jp-bighead-muted">{report.message}</p>}
      <iframe
        className="jp-bighead-review-report"
        title="Reviewer report"
        sandbox="allow-scripts"
        src={src}
        style={{ width: '100%', height: '70vh', border: '1px solid var(--jp-border-color2)' }}
      />
    </>
  );
}

function ReviewView(props: { areas: IBigheadModels; id: string }): JSX.Element {
  const { areas, id } = props;
  const [review, setReview] = React.useState<IReview | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [text, setText] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  const reviews = reviewsOf(areas);
  useSignal(areas.status.changed);
  const load = React.useCallback(async () => {
    try {
      setReview(await areas.client.reviews.get(id));
    } catch (err) {
      setError(errorText(err));
    }
  }, [areas, id]);
  React.useEffect(() => void load(), [load]);
  useInvalidated(reviews, load);

  const act = async (what: () => Promise<IReview>): Promise<void> => {
    setBusy(true);
    try {
      setReview(await what());
      setText('');
      setError(null);
      void reviews.invalidate();
      void areas.models.invalidate();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  if (!review) {
    return error ? <div className="jp-bighead-error" role="alert">{error}</div> : <p className="jp-bighead-muted">Loading review…</p>;
  }
  const user = areas.status.user;
  const api = areas.client.reviews;
  const needsText = (p: IPermit, what: string): IPermit =>
    p.allowed && !text.trim() ? { allowed: false, reason: `${what}: write it in the box below first` } : p;
  return (
    <div className="jp-bighead-review" data-testid="review-view" data-review={review.id} data-state={review.state}>
      <h2>
        <bigheadIcon.react tag="span" /> Review: {reviewTitle(review)}{' '}
        <span className="jp-bighead-tag" data-testid="review-state">
          {review.state}
        </span>
      </h2>
      <p className="jp-bighead-muted">
        Requested by {review.author} · {when(review.created)}
        {review.decision && ` · ${review.decision.state} by ${review.decision.by}`}
      </p>
      {review.note && <p>{review.note}</p>}
      <div className="jp-bighead-alias-buttons">
        <button
          className="jp-mod-styled jp-mod-accept"
          onClick={() => void act(() => api.approve(review.id, text))}
          {...gate(permitDecide(user, review, 'Approving'), busy)}
        >
          Approve
        </button>
        <button
          className="jp-mod-styled jp-mod-warn"
          onClick={() => void act(() => api.reject(review.id, text))}
          {...gate(needsText(permitDecide(user, review, 'Rejecting'), 'A rejection says why'), busy)}
        >
          Reject
        </button>
        <button className="jp-mod-styled" onClick={() => void act(() => api.withdraw(review.id))} {...gate(permitWithdraw(user, review), busy)}>
          Withdraw
        </button>
      </div>
      {error && <div className="jp-bighead-error" role="alert">{error}</div>}
      <h3>Comments</h3>
      <ul className="jp-bighead-review-comments" data-testid="review-comments">
        {review.comments.map((c, i) => (
          <li key={i}>
            <b>{c.by}</b> <span className="jp-bighead-muted">{when(c.at)}</span>: {c.text}
          </li>
        ))}
      </ul>
      <textarea
        className="jp-bighead-review-text"
        aria-label="Comment, or the reason for a decision"
        placeholder="A comment, or the reason for a rejection"
        value={text}
        style={{ width: '100%', minHeight: '4em', boxSizing: 'border-box' }}
        maxLength={20000}
        onChange={e => setText(e.target.value)}
      />
      <button
        className="jp-mod-styled"
        onClick={() => void act(() => api.comment(review.id, text))}
        {...gate(needsText(permitComment(user, review), 'A comment needs text'), busy)}
      >
        Comment
      </button>
      <Material review={review} material={review.material} />
      <h3>Reviewer report</h3>
      <ReportFrame areas={areas} review={review} />
    </div>
  );
}

/** The main-area widget for one review. */
export class ReviewPanel extends ReactWidget {
  constructor(
    readonly reviewId: string,
    private readonly areas: IBigheadModels
  ) {
    super();
    this.id = `bighead-review-${reviewId}`;
    this.addClass('jp-bighead-review-panel');
    // Scrolls, padded like a model panel (whose class other views look for).
    this.node.style.overflow = 'auto';
    this.node.style.padding = '8px 16px';
    this.node.style.background = 'var(--jp-layout-color1)';
    this.title.label = 'Review';
    this.title.icon = bigheadIcon;
    this.title.closable = true;
    void areas.client.reviews.get(reviewId).then(
      r => (this.title.label = `Review: ${reviewTitle(r)}`),
      () => undefined
    );
  }

  protected render(): JSX.Element {
    return <ReviewView areas={this.areas} id={this.reviewId} />;
  }
}
