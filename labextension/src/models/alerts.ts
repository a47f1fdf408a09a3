/**
 * Monitoring alerts in JupyterLab's notification center: a poll task that asks
 * `GET alerts?since=` for alerts of the user's models and notifies each new one once
 * (the ids already shown are kept in `localStorage`, so a reload does not repeat them).
 */
import { IAlert, IAlertPage } from '../api/monitoring';
import { IPollTask } from '../core/poller';

/** Seconds between two reads of the alert feed. */
export const ALERT_POLL_SECONDS = 15;
/** ... and after a failed read (no server extension, server down). */
export const ALERT_RETRY_SECONDS = 60;
/** How far back the first read of a page looks, in hours. */
export const FIRST_LOOK_HOURS = 24;
const STORAGE_KEY = 'jupyter-bighead:alerts-shown';
const MAX_REMEMBERED = 500;

/** What the notifier needs: the feed, a way to notify, and somewhere to remember. */
export interface IAlertNotifierHost {
  alerts(query: { since?: string | null; limit?: number }): Promise<IAlertPage>;
  notify(alert: IAlert): void;
  storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
  now?: () => number;
}

export class AlertNotifier implements IPollTask {
  get pollSeconds(): number {
    return this._failed ? ALERT_RETRY_SECONDS : ALERT_POLL_SECONDS;
  }

  constructor(private readonly host: IAlertNotifierHost) {
    const now = host.now ? host.now() : Date.now();
    this._since = new Date(now - FIRST_LOOK_HOURS * 3600 * 1000).toISOString();
    try {
      const raw = host.storage?.getItem(STORAGE_KEY);
      this._shown = raw ? (JSON.parse(raw) as string[]).filter(x => typeof x === 'string') : [];
    } catch {
      this._shown = [];
    }
  }

  /** Read the alerts raised since the last read and notify the new ones, oldest first. */
  async poll(): Promise<void> {
    let page: IAlertPage;
    try {
      page = await this.host.alerts({ since: this._since, limit: 50 });
    } catch {
      this._failed = true; // tried again later; a failing server is the status line's to show
      return;
    }
    this._failed = false;
    const fresh = page.items.filter(a => !this._shown.includes(a.id)).reverse();
    for (const alert of fresh) {
      this.host.notify(alert);
      this._shown.push(alert.id);
    }
    if (page.latest) {
      this._since = page.latest;
    }
    if (fresh.length > 0) {
      this._shown = this._shown.slice(-MAX_REMEMBERED);
      try {
        this.host.storage?.setItem(STORAGE_KEY, JSON.stringify(this._shown));
      } catch {
        // storage full or refused: the ids stay remembered in this page
      }
    }
  }

  /** The ids notified so far (this page and earlier ones). */
  get shown(): readonly string[] {
    return this._shown;
  }

  private _failed = false;
  private _since: string;
  private _shown: string[];
}

/** The notification's text for `alert`. */
export function alertText(alert: IAlert): string {
  const features = alert.features && alert.features.length > 0 ? `drift in ${alert.features.join(', ')}` : 'drift';
  const version = alert.version !== undefined ? ` v${alert.version}` : '';
  return `Bighead alert: ${alert.model}${version}: ${features}`;
}
