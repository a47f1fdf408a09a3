/**
 * Reviews: the gate for production. Request one, list and read them (with what the
 * reviewer reads and the rendered report), comment, approve, reject, withdraw.
 */
import { AreaClient } from './client';
import { IPage } from './models';
import { API_ROOT } from './request';
import { endpoint, ROUTES } from './routes';

export type ReviewState = 'pending' | 'approved' | 'rejected' | 'withdrawn';

/** One step of a review's audit trail (`requested`, `commented`, `approved`, ...). */
export interface IReviewEvent {
  action: 'requested' | 'commented' | 'approved' | 'rejected' | 'withdrawn' | 'moved';
  by: string;
  at: string;
  text: string;
  from_version?: number | null;
  alias_event?: number | null;
}

export interface IReviewComment {
  by: string;
  at: string;
  text: string;
}

/** What the reviewer reads (`GET reviews/{id}`); listings leave it empty. */
export interface IReviewMaterial {
  report?: {
    status: 'rendered' | 'none' | 'missing' | 'failed';
    available: boolean;
    notebook: string | null;
    message: string;
    notebook_matches_version?: boolean;
  };
  card?: {
    name: string;
    version: number;
    model_class: string;
    created_by: string;
    created_at: string;
    metrics: { [key: string]: number };
    params: { [key: string]: unknown };
    features: string[];
    notebook: string | null;
    git: { commit: string | null; dirty: boolean | null };
  };
  evaluation?: {
    available: boolean;
    message?: string;
    metrics?: { [key: string]: number };
    n_rows?: number;
    top_features?: { feature: string; gain: number }[];
  };
  diff?: {
    against: number | null;
    message: string;
    compare: {
      metrics: { [key: string]: { a: number | null; b: number | null; delta: number | null } };
    } | null;
    code: { available: boolean; changed?: boolean; unified?: string; truncated?: boolean; message?: string } | null;
  };
}

export interface IReview {
  id: string;
  name: string;
  version: number;
  alias: string;
  author: string;
  created: string;
  state: ReviewState;
  note: string;
  comments: IReviewComment[];
  decision: { by: string; at: string; text: string; state: ReviewState } | null;
  material: IReviewMaterial;
  events: IReviewEvent[];
  moves: { by: string; at: string; from_version: number | null }[];
  applied: boolean;
}

export interface IReviewQuery {
  state?: ReviewState;
  model?: string;
  author?: string;
  limit?: number;
  offset?: number;
}

export class ReviewsClient extends AreaClient {
  /** Reviews, newest first, without their material. */
  list(query: IReviewQuery = {}): Promise<IPage<IReview>> {
    return this.call('reviews', { query: { ...query } });
  }

  /** Ask for `modelRef` (`NAME:N`) to become `alias` (production by default). */
  create(modelRef: string, options: { alias?: string; text?: string } = {}): Promise<IReview> {
    return this.call('requestReview', { body: { model_ref: modelRef, ...options } });
  }

  /** One review with a summary of its material. */
  get(id: string): Promise<IReview> {
    return this.call('review', { params: { review_id: id } });
  }

  /**
   * Fetch the rendered reviewer report: resolves when the server can serve it, throws
   * its error otherwise (a 404 says why there is none). The body is HTML, not JSON:
   * show it with `reportPath()` in a sandboxed frame.
   */
  report(id: string): Promise<unknown> {
    return this.call('reviewReport', { params: { review_id: id } });
  }

  /** The report's path under the server's base URL (`bighead/api/reviews/{id}/report`). */
  reportPath(id: string): string {
    return `${API_ROOT}/${endpoint(ROUTES.reviewReport, { review_id: id })}`;
  }

  comment(id: string, text: string): Promise<IReview> {
    return this.call('commentReview', { params: { review_id: id }, body: { text } });
  }

  approve(id: string, text = ''): Promise<IReview> {
    return this.call('approveReview', { params: { review_id: id }, body: { text } });
  }

  /** Reject, saying why (`text` is required). */
  reject(id: string, text: string): Promise<IReview> {
    return this.call('rejectReview', { params: { review_id: id }, body: { text } });
  }

  withdraw(id: string): Promise<IReview> {
    return this.call('withdrawReview', { params: { review_id: id } });
  }
}
