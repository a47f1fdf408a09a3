/**
 * The one poller: due tasks only, never overlapping, nothing while the page is hidden.
 */
import { describe, expect, it } from 'vitest';

import { IPollerHost, IPollTask, Poller, TICK_MS } from '../src/core/poller';

/** A clock moved by hand, and a page that may be hidden. */
class FakeHost implements IPollerHost {
  time = 0;
  hidden = false;
  timers = new Map<number, () => void>();
  private _next = 1;
  now(): number {
    return this.time;
  }
  setInterval(callback: () => void): unknown {
    const id = this._next++;
    this.timers.set(id, callback);
    return id;
  }
  clearInterval(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  visible(): boolean {
    return !this.hidden;
  }
  /** Move the clock by `ms`, firing the interval timers every TICK_MS. */
  async advance(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += TICK_MS) {
      this.time += TICK_MS;
      for (const callback of [...this.timers.values()]) {
        callback();
      }
      await flush();
    }
  }
}

const flush = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 0));

function counter(pollSeconds: number): IPollTask & { calls: number; pollSeconds: number } {
  return {
    pollSeconds,
    calls: 0,
    poll() {
      this.calls++;
    }
  };
}

describe('Poller', () => {
  it('calls each task every pollSeconds once started', async () => {
    const host = new FakeHost();
    const poller = new Poller(host);
    const fast = counter(1);
    const slow = counter(10);
    poller.add(fast);
    poller.add(slow);
    await host.advance(5000);
    expect([fast.calls, slow.calls]).toEqual([0, 0]);
    poller.start();
    await host.advance(10000);
    expect(slow.calls).toBe(1);
    expect(fast.calls).toBeGreaterThanOrEqual(9);
    expect(fast.calls).toBeLessThanOrEqual(10);
  });

  it('calls an immediate task at the next tick', async () => {
    const host = new FakeHost();
    const poller = new Poller(host);
    poller.start();
    const task = counter(10);
    poller.add(task, { immediate: true });
    await host.advance(TICK_MS);
    expect(task.calls).toBe(1);
  });

  it('pauses a task whose pollSeconds is 0 and resumes it when it changes', async () => {
    const host = new FakeHost();
    const poller = new Poller(host);
    poller.start();
    const task = counter(0);
    poller.add(task);
    await host.advance(5000);
    expect(task.calls).toBe(0);
    task.pollSeconds = 1;
    await host.advance(1000);
    expect(task.calls).toBe(1);
  });

  it('never calls a task again while its last call runs', async () => {
    const host = new FakeHost();
    const poller = new Poller(host);
    poller.start();
    let release: () => void = () => undefined;
    let calls = 0;
    poller.add({
      pollSeconds: 1,
      poll: () => {
        calls++;
        return new Promise<void>(resolve => (release = resolve));
      }
    });
    await host.advance(5000);
    expect(calls).toBe(1);
    release();
    await flush();
    await host.advance(1000);
    expect(calls).toBe(2);
  });

  it('keeps polling after a task fails', async () => {
    const host = new FakeHost();
    const poller = new Poller(host);
    poller.start();
    let calls = 0;
    poller.add({
      pollSeconds: 1,
      poll: () => {
        calls++;
        return Promise.reject(new Error('server down'));
      }
    });
    const quiet = console.error;
    console.error = () => undefined;
    try {
      await host.advance(3000);
    } finally {
      console.error = quiet;
    }
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('does not poll a hidden page', async () => {
    const host = new FakeHost();
    const poller = new Poller(host);
    poller.start();
    const task = counter(1);
    poller.add(task);
    host.hidden = true;
    await host.advance(5000);
    expect(task.calls).toBe(0);
    host.hidden = false;
    await host.advance(TICK_MS);
    expect(task.calls).toBe(1);
  });

  it('stops calling a disposed task, and everything once stopped', async () => {
    const host = new FakeHost();
    const poller = new Poller(host);
    poller.start();
    const gone = counter(1);
    const kept = counter(1);
    const handle = poller.add(gone);
    poller.add(kept);
    handle.dispose();
    expect(handle.isDisposed).toBe(true);
    await host.advance(2000);
    expect([gone.calls, kept.calls]).toEqual([0, 2]);
    poller.stop();
    expect(poller.running).toBe(false);
    await host.advance(5000);
    expect(kept.calls).toBe(2);
  });
});
