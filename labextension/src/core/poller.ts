/**
 * The one poller of the Bighead frontend.
 *
 * Everything that reads the server again over time registers a task here: each area
 * model (reloaded every `POLL_SECONDS`, faster while something in it is live), the
 * status (at the user's `statusRefreshSeconds`), a job's streamed log. One timer
 * drives them all; a hidden page is not polled, and a task is never called again
 * while its previous call is still running.
 */
import { IDisposable } from '@lumino/disposable';

/** Seconds between two reloads of an area while the page is visible. */
export const POLL_SECONDS = 10;

/** How often the poller looks for due tasks, in milliseconds. */
export const TICK_MS = 250;

/** Something the poller calls again and again. */
export interface IPollTask {
  /** Seconds between two calls now; 0 or less pauses the task. */
  readonly pollSeconds: number;
  /** Read the server again; the poller waits for the promise before the next call. */
  poll(): Promise<unknown> | void;
}

/** What the poller needs of its environment (a fake clock in tests). */
export interface IPollerHost {
  now(): number;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  /** False while the page is hidden. */
  visible(): boolean;
}

const browserHost: IPollerHost = {
  now: () => Date.now(),
  setInterval: (callback, ms) => globalThis.setInterval(callback, ms),
  clearInterval: handle => globalThis.clearInterval(handle as ReturnType<typeof setInterval>),
  visible: () => typeof document === 'undefined' || document.visibilityState !== 'hidden'
};

interface IEntry {
  task: IPollTask;
  last: number;
  busy: boolean;
}

export class Poller {
  constructor(private readonly host: IPollerHost = browserHost) {}

  /**
   * Call `task.poll()` every `task.pollSeconds` from now on (from the next tick with
   * `immediate`); dispose the result to stop. Nothing is called until `start()`.
   */
  add(task: IPollTask, options: { immediate?: boolean } = {}): IDisposable {
    const entry: IEntry = { task, last: options.immediate ? -Infinity : this.host.now(), busy: false };
    this._entries.add(entry);
    let disposed = false;
    return {
      get isDisposed() {
        return disposed;
      },
      dispose: () => {
        disposed = true;
        this._entries.delete(entry);
      }
    };
  }

  /** Mark `task` as just polled (it read the server for another reason). */
  touch(task: IPollTask): void {
    for (const entry of this._entries) {
      if (entry.task === task) {
        entry.last = this.host.now();
      }
    }
  }

  get running(): boolean {
    return this._timer !== undefined;
  }

  start(): void {
    if (this._timer === undefined) {
      this._timer = this.host.setInterval(() => this.tick(), TICK_MS);
    }
  }

  stop(): void {
    if (this._timer !== undefined) {
      this.host.clearInterval(this._timer);
      this._timer = undefined;
    }
  }

  /** Call every due task once (the timer calls this; tests may too). */
  tick(): void {
    if (!this.host.visible()) {
      return;
    }
    const now = this.host.now();
    for (const entry of [...this._entries]) {
      const seconds = entry.task.pollSeconds;
      if (entry.busy || !(seconds > 0) || now - entry.last < seconds * 1000) {
        continue;
      }
      entry.last = now;
      entry.busy = true;
      let result: Promise<unknown> | void;
      try {
        result = entry.task.poll();
      } catch (error) {
        entry.busy = false;
        console.error('jupyter-bighead: a poll task failed', error);
        continue;
      }
      Promise.resolve(result)
        .catch(error => console.error('jupyter-bighead: a poll task failed', error))
        .finally(() => {
          entry.busy = false;
          entry.last = this.host.now();
        });
    }
  }

  private _entries = new Set<IEntry>();
  private _timer: unknown = undefined;
}
