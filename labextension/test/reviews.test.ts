/**
 * Reviews in the lab: who may act (the buttons' hovers), the model history's merge,
 * and the news notifier (once each, never old news, only the user's).
 */
import { describe, expect, it } from 'vitest';

import { IJob } from '../src/api/jobs';
import { IReview } from '../src/api/reviews';
import { IUser } from '../src/api/status';
import { NewsNotifier, STORAGE_KEY } from '../src/notify/notifier';
import { historyLines, historyText } from '../src/reviews/history';
import { permitComment, permitDecide, permitWithdraw } from '../src/reviews/permissions';

const user = (name: string, roles: string[], permissions: IUser['permissions']): IUser => ({
  name,
  roles,
  permissions,
  team: true,
  protected_aliases: ['production'],
  granted_by: { read: ['viewer'], write: ['data_scientist', 'admin'], review: ['reviewer', 'admin'], admin: ['admin'] }
});
const dana = user('dana', ['data_scientist'], ['read', 'write']);
const rita = user('rita', ['reviewer'], ['read', 'review']);
const vera = user('vera', ['viewer'], ['read']);
const adam = user('adam', ['admin'], ['read', 'write', 'review', 'admin']);

function review(over: Partial<IReview> = {}): IReview {
  return {
    id: 'r1', name: 'churn', version: 2, alias: 'production', author: 'dana', created: '2026-11-30T10:00:00Z',
    state: 'pending', note: '', comments: [], decision: null, material: {}, moves: [], applied: false,
    events: [{ action: 'requested', by: 'dana', at: '2026-11-30T10:00:00Z', text: '' }],
    ...over
  };
}

describe('review permissions', () => {
  it('never let the author decide, and say why', () => {
    const own = permitDecide(adam, review({ author: 'adam' }));
    expect(own.allowed).toBe(false);
    expect(own.reason).toContain('adam requested this review');
    expect(permitDecide(rita, review()).allowed).toBe(true);
    const ds = permitDecide(dana, review({ author: 'dino' }));
    expect(ds).toEqual({ allowed: false, reason: 'Approving needs the role reviewer or admin (dana has data_scientist)' });
    expect(permitDecide(rita, review({ state: 'approved' })).reason).toContain('this one is approved');
  });

  it('let the author or a reviewer comment, the author or an admin withdraw', () => {
    expect(permitComment(dana, review()).allowed).toBe(true);
    expect(permitComment(rita, review()).allowed).toBe(true);
    expect(permitComment(vera, review()).reason).toContain("or to be the review's author (dana)");
    expect(permitWithdraw(dana, review()).allowed).toBe(true);
    expect(permitWithdraw(adam, review()).allowed).toBe(true);
    expect(permitWithdraw(rita, review()).allowed).toBe(false);
    expect(permitWithdraw(dana, review({ applied: true, state: 'approved' })).reason).toContain('applied');
  });
});

describe('the model history', () => {
  it('merges review steps with alias moves no review records, newest first', () => {
    const r = review({
      events: [
        { action: 'requested', by: 'dana', at: '2026-11-30T10:00:00Z', text: '' },
        { action: 'approved', by: 'rita', at: '2026-11-30T10:05:00Z', text: 'ok' },
        { action: 'moved', by: 'dana', at: '2026-11-30T10:06:00Z', text: '', alias_event: 7 }
      ]
    });
    const moves = [
      { id: 7, alias: 'production', from_version: 1, to_version: 2, action: 'set', at: '2026-11-30T10:06:00Z', by: 'dana' },
      { id: 3, alias: 'production', from_version: null, to_version: 1, action: 'set', at: '2026-11-29T09:00:00Z', by: 'adam' }
    ];
    const lines = historyLines([r], moves).map(historyText);
    expect(lines).toEqual([
      'dana moved production to v2 (approved review)',
      'rita approved v2 for production: ok',
      'dana requested a review of v2 for production',
      'adam set production to v1'
    ]);
  });
});

function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v)
  } as Storage;
}

function job(over: Partial<IJob>): IJob {
  return {
    id: 'j1', name: 'train', state: 'succeeded', final: true, executor: 'local', created: '', started: null,
    finished: '2026-11-30T10:10:00Z', user: 'dana', error: null, resources: {}, metrics: {}, outputs: {},
    spec: { notebook: 'a.ipynb', function: null, profile: 'small', parameters: {} },
    ...over
  };
}

describe('the news notifier', () => {
  const start = Date.parse('2026-11-30T10:00:00Z');

  it("tells the user once of their decided reviews and finished jobs, never others' or old ones", async () => {
    const storage = memoryStorage();
    const reviews: IReview[] = [];
    const jobs: IJob[] = [
      job({ id: 'old', finished: '2026-11-29T10:00:00Z' }),
      job({ id: 'theirs', user: 'dino' }),
      job({ id: 'live', state: 'running', finished: null })
    ];
    const shown: string[] = [];
    const host = {
      user: () => 'dana',
      reviews: async () => ({ items: reviews, total: reviews.length, next_cursor: null }),
      jobs: async () => ({ items: jobs }),
      notify: (n: { text: string }) => void shown.push(n.text),
      storage,
      now: () => start
    };
    const notifier = new NewsNotifier(host);
    await notifier.poll();
    expect(shown).toEqual([]);
    reviews.push(review({ state: 'approved', decision: { by: 'rita', at: '2026-11-30T10:05:00Z', text: 'ok', state: 'approved' } }));
    jobs.push(job({ id: 'j2', state: 'failed', error: 'boom' }));
    await notifier.poll();
    await notifier.poll();
    expect(shown).toEqual([
      'Review of churn v2 for production approved by rita: ok. You may now set production.',
      'Job train failed: boom'
    ]);
    // A reload (a new notifier on the same storage) repeats nothing, even later.
    const again: string[] = [];
    const reloaded = new NewsNotifier({ ...host, notify: n => void again.push(n.text), now: () => start + 3600_000 });
    await reloaded.poll();
    expect(again).toEqual([]);
    expect(JSON.parse(storage.getItem(STORAGE_KEY) ?? '{}').since).toBe('2026-11-30T10:00:00.000Z');
  });

  it('waits for the user and retries a failing server slowly', async () => {
    let name: string | null = null;
    const notifier = new NewsNotifier({
      user: () => name,
      reviews: () => Promise.reject(new Error('down')),
      jobs: async () => ({ items: [] }),
      notify: () => undefined
    });
    expect(notifier.pollSeconds).toBe(1);
    await notifier.poll();
    name = 'dana';
    expect(notifier.pollSeconds).toBe(10);
    await notifier.poll();
    expect(notifier.pollSeconds).toBe(60);
  });
});
