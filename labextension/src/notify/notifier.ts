/**
 * The user's own news in JupyterLab's notification center: a review they requested
 * was approved or rejected, a job they submitted finished (succeeded or failed).
 *
 * A poll task on the one poller: each poll reads the user's reviews
 * (`GET reviews?author=`) and recent jobs (`GET jobs`, keeping the user's), two small
 * pages. What was notified is remembered in `localStorage`, and so is the moment this
 * browser first looked: a reload repeats nothing, and a first visit does not announce
 * old news.
 */
import { IJob } from '../api/jobs';
import { IPage } from '../api/models';
import { IReview } from '../api/reviews';
import { IPollTask } from '../core/poller';

/** Seconds between two looks. */
export const NEWS_POLL_SECONDS = 10;
/** ... and after a failed read (no server extension, server down). */
export const NEWS_RETRY_SECONDS = 60;
export const STORAGE_KEY = 'jupyter-bighead:news';
const MAX_REMEMBERED = 500;
const JOBS_READ = 30;
const REVIEWS_READ = 30;

/** One thing to tell the user. */
export interface INews {
  /** Unique per item and state, e.g. `review:ID:approved`. */
  key: string;
  kind: 'review' | 'job';
  level: 'success' | 'error' | 'info';
  text: string;
  /** The review or job id. */
  id: string;
  /** The model, for a review. */
  model?: string;
}

export interface INewsHost {
  /** The signed-in user's name, or null before the status is known. */
  user(): string | null;
  reviews(query: { author: string; limit: number }): Promise<IPage<IReview>>;
  jobs(query: { limit: number }): Promise<{ items: IJob[] }>;
  notify(news: INews): void;
  storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
  now?: () => number;
}

interface IRemembered {
  /** ISO time this browser first looked: older news is not announced. */
  since: string;
  shown: string[];
}

/** Whether time `at` is before `since` (ISO strings; unreadable times count as old). */
function before(at: string, since: string): boolean {
  const t = Date.parse(at);
  return Number.isNaN(t) || t < Date.parse(since);
}

/** The news in `reviews` and `jobs` for `user`, oldest first. */
export function newsOf(user: string, reviews: IReview[], jobs: IJob[], since: string): { at: string; news: INews }[] {
  const out: { at: string; news: INews }[] = [];
  for (const r of reviews) {
    const d = r.decision;
    if (r.author !== user || !d || (d.state !== 'approved' && d.state !== 'rejected') || before(d.at, since)) {
      continue;
    }
    const reason = d.text ? `: ${d.text}` : '';
    const next = d.state === 'approved' ? ` You may now set ${r.alias}.` : '';
    out.push({
      at: d.at,
      news: {
        key: `review:${r.id}:${d.state}`,
        kind: 'review',
        level: d.state === 'approved' ? 'success' : 'error',
        text: `Review of ${r.name} v${r.version} for ${r.alias} ${d.state} by ${d.by}${reason}.${next}`,
        id: r.id,
        model: r.name
      }
    });
  }
  for (const j of jobs) {
    if (j.user !== user || (j.state !== 'succeeded' && j.state !== 'failed') || !j.finished || before(j.finished, since)) {
      continue;
    }
    const error = j.state === 'failed' && j.error ? `: ${j.error.slice(0, 200)}` : '';
    out.push({
      at: j.finished,
      news: {
        key: `job:${j.id}:${j.state}`,
        kind: 'job',
        level: j.state === 'succeeded' ? 'success' : 'error',
        text: `Job ${j.name || j.id} ${j.state}${error}`,
        id: j.id
      }
    });
  }
  return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export class NewsNotifier implements IPollTask {
  get pollSeconds(): number {
    if (this._failed) {
      return NEWS_RETRY_SECONDS;
    }
    // Until the status names the user, look again soon: nothing is theirs before.
    return this.host.user() ? NEWS_POLL_SECONDS : 1;
  }

  constructor(private readonly host: INewsHost) {
    this._state = this._load();
  }

  /** Read the user's reviews and jobs; notify what is new, once. */
  async poll(): Promise<void> {
    const user = this.host.user();
    if (!user) {
      return; // the status is not read yet: nothing is the user's
    }
    let reviews: IPage<IReview>;
    let jobs: { items: IJob[] };
    try {
      [reviews, jobs] = await Promise.all([
        this.host.reviews({ author: user, limit: REVIEWS_READ }),
        this.host.jobs({ limit: JOBS_READ })
      ]);
    } catch {
      this._failed = true;
      return;
    }
    this._failed = false;
    const fresh = newsOf(user, reviews.items, jobs.items, this._state.since).filter(n => !this._state.shown.includes(n.news.key));
    for (const { news } of fresh) {
      this.host.notify(news);
      this._state.shown.push(news.key);
    }
    if (fresh.length > 0) {
      this._state.shown = this._state.shown.slice(-MAX_REMEMBERED);
      this._save();
    }
  }

  /** The keys notified so far (this page and earlier ones). */
  get shown(): readonly string[] {
    return this._state.shown;
  }

  private _load(): IRemembered {
    try {
      const raw = this.host.storage?.getItem(STORAGE_KEY);
      const value = raw ? (JSON.parse(raw) as Partial<IRemembered>) : null;
      if (value && typeof value.since === 'string' && Array.isArray(value.shown)) {
        return { since: value.since, shown: value.shown.filter(x => typeof x === 'string') };
      }
    } catch {
      // unreadable: start afresh
    }
    const now = this.host.now ? this.host.now() : Date.now();
    const state = { since: new Date(now).toISOString(), shown: [] };
    this._state = state;
    this._save();
    return state;
  }

  private _save(): void {
    try {
      this.host.storage?.setItem(STORAGE_KEY, JSON.stringify(this._state));
    } catch {
      // storage full or refused: remembered in this page only
    }
  }

  private _failed = false;
  private _state: IRemembered = { since: '', shown: [] };
}
