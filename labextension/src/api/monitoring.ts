/**
 * Monitoring: a version's drift check (the Monitoring tab), monitors (scheduled checks)
 * and the alert feed the notifications poll.
 */
import { AreaClient } from './client';
import { IPlotlyFigure } from './models';

/** One alert record, as `GET alerts` and the tab list them. */
export interface IAlert {
  id: string;
  model: string;
  created_at: string;
  version?: number;
  severity?: string;
  features?: string[];
  message?: string;
  psi?: { [feature: string]: number };
}

/** One row of the drift table, most severe first. */
export interface IDriftRow {
  feature: string;
  kind: string;
  severity: string;
  psi: number | null;
  js: number | null;
  test: string | null;
  p_value: number | null;
  null_rate_reference: number | null;
  null_rate_current: number | null;
  unseen: string[] | number | null;
  reasons: string[];
  /** PSI per window of the check (null where the window had no rows). */
  sparkline: (number | null)[];
}

/** `GET models/{name}/versions/{version}/monitoring`. */
export interface IVersionMonitoring {
  model: string;
  version: number;
  window: string;
  /** Whether the version has a reference profile (registered with validation data). */
  reference: boolean;
  /** `unknown`: too few rows to judge any feature. */
  status: 'alert' | 'warn' | 'ok' | 'unknown' | 'no_reference' | 'no_data';
  message: string;
  checked_at: string;
  check: {
    n_rows: number;
    start: string;
    end: string;
    /** Why realized performance is missing (the labels could not be read or joined). */
    labels_error?: string | null;
    /** Log parts that could not be read, skipped (named in `skipped`). */
    skipped_parts?: number;
    skipped?: string[];
    /** Rows the window held; `sampled` when more than the cap were, and were sampled. */
    rows_in_window?: number;
    sampled?: boolean;
    [key: string]: unknown;
  };
  figures: {
    score?: IPlotlyFigure;
    drift_over_time?: IPlotlyFigure;
    performance?: IPlotlyFigure;
    features?: { [feature: string]: IPlotlyFigure };
  };
  drift_rows: IDriftRow[];
  alerts: IAlert[];
}

/** `GET alerts`. */
export interface IAlertPage {
  items: IAlert[];
  since: string | null;
  /** The newest alert's time (else `since`): the next poll's `since`. */
  latest: string | null;
}

export class MonitoringClient extends AreaClient {
  /** The Monitoring tab of a version: a check of the `window` ending now (never alerting). */
  version(name: string, version: number, window = '1d'): Promise<IVersionMonitoring> {
    return this.call('versionMonitoring', { params: { name, version }, query: { window } });
  }

  /**
   * Schedule the model's monitor (a job run on the cron `schedule`); `labels`, a file of
   * outcomes relative to the server root, adds realized performance (to the tab too).
   */
  createMonitor(
    name: string,
    body: { schedule: string; window?: string; alias?: string | null; labels?: string }
  ): Promise<{ [key: string]: unknown }> {
    return this.call('createMonitor', { params: { name }, body });
  }

  /** Alerts raised after `since` for the user's models, newest first. */
  alerts(query: { since?: string | null; limit?: number; all?: boolean } = {}): Promise<IAlertPage> {
    return this.call('alerts', { query: { ...query } });
  }
}
