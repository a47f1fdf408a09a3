/**
 * Monitoring in the lab: each alert notified once (across reloads), the feed read
 * from the last answer's `latest`, and the drift table's severity order.
 */
import { describe, expect, it } from 'vitest';

import { IAlert, IAlertPage, IDriftRow } from '../src/api/monitoring';
import { ALERT_POLL_SECONDS, ALERT_RETRY_SECONDS, AlertNotifier, alertText, FIRST_LOOK_HOURS } from '../src/models/alerts';
import { sortDriftRows } from '../src/models/drift';

const alert = (id: string, created_at: string, features = ['amount']): IAlert => ({
  id,
  model: 'shop',
  version: 1,
  created_at,
  features
});

class Feed {
  items: IAlert[] = [];
  queries: (string | null | undefined)[] = [];
  async alerts(query: { since?: string | null }): Promise<IAlertPage> {
    this.queries.push(query.since);
    const since = query.since ?? '';
    const items = this.items.filter(a => a.created_at > since).sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    return { items, since: query.since ?? null, latest: items[0]?.created_at ?? query.since ?? null };
  }
}

class MemoryStorage {
  data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
}

describe('AlertNotifier', () => {
  it('notifies each alert once, oldest first, and asks only for newer ones', async () => {
    const feed = new Feed();
    const shown: string[] = [];
    const now = Date.parse('2026-01-02T00:00:00Z');
    const notifier = new AlertNotifier({ alerts: q => feed.alerts(q), notify: a => shown.push(a.id), now: () => now });
    expect(feed.queries).toEqual([]);
    feed.items = [alert('a1', '2026-01-01T10:00:00+00:00'), alert('a2', '2026-01-01T11:00:00+00:00')];
    await notifier.poll();
    expect(shown).toEqual(['a1', 'a2']);
    expect(feed.queries[0]).toBe(new Date(now - FIRST_LOOK_HOURS * 3600 * 1000).toISOString());
    await notifier.poll();
    expect(shown).toEqual(['a1', 'a2']);
    expect(feed.queries[1]).toBe('2026-01-01T11:00:00+00:00');
    feed.items.push(alert('a3', '2026-01-01T12:00:00+00:00'));
    await notifier.poll();
    expect(shown).toEqual(['a1', 'a2', 'a3']);
  });

  it('does not repeat alerts shown before a reload, and survives a failing feed', async () => {
    const feed = new Feed();
    const storage = new MemoryStorage();
    feed.items = [alert('a1', '2026-01-01T10:00:00+00:00')];
    const first: string[] = [];
    const now = () => Date.parse('2026-01-01T12:00:00Z');
    await new AlertNotifier({ alerts: q => feed.alerts(q), notify: a => first.push(a.id), storage, now }).poll();
    expect(first).toEqual(['a1']);
    const second: string[] = [];
    const again = new AlertNotifier({ alerts: q => feed.alerts(q), notify: a => second.push(a.id), storage, now });
    await again.poll();
    expect(second).toEqual([]);
    const failing = new AlertNotifier({ alerts: () => Promise.reject(new Error('down')), notify: () => undefined, now });
    expect(failing.pollSeconds).toBe(ALERT_POLL_SECONDS);
    await expect(failing.poll()).resolves.toBeUndefined();
    expect(failing.pollSeconds).toBe(ALERT_RETRY_SECONDS);
  });

  it('names the model, version and drifted features', () => {
    expect(alertText(alert('x', '2026-01-01T00:00:00Z', ['amount', 'channel']))).toBe(
      'Bighead alert: shop v1: drift in amount, channel'
    );
  });
});

describe('sortDriftRows', () => {
  const row = (feature: string, severity: string, psi: number | null): IDriftRow => ({
    feature,
    kind: 'numeric',
    severity,
    psi,
    js: null,
    test: null,
    p_value: null,
    null_rate_reference: null,
    null_rate_current: null,
    unseen: null,
    reasons: [],
    sparkline: []
  });
  const rows = [row('a', 'ok', 0.01), row('b', 'alert', 0.5), row('c', 'warn', 0.15), row('d', 'alert', 0.9)];

  it('puts the most severe first, ties by PSI', () => {
    expect(sortDriftRows(rows, 'severity', true).map(r => r.feature)).toEqual(['d', 'b', 'c', 'a']);
    expect(sortDriftRows(rows, 'severity', false).map(r => r.feature)).toEqual(['a', 'c', 'b', 'd']);
  });

  it('sorts by PSI and by name', () => {
    expect(sortDriftRows(rows, 'psi', true).map(r => r.feature)).toEqual(['d', 'b', 'c', 'a']);
    expect(sortDriftRows(rows, 'feature', false).map(r => r.feature)).toEqual(['a', 'b', 'c', 'd']);
  });
});
