/**
 * The state of one area of the platform (models, features, jobs…), independent of
 * how it is drawn: the data last read, the error of the last read, and signals.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { BigheadRequestError } from '../api/request';
import { IPollTask, POLL_SECONDS } from './poller';

/** Any caught error as a `BigheadRequestError` (code `client_error` for ours). */
export function asRequestError(error: unknown): BigheadRequestError {
  return error instanceof BigheadRequestError
    ? error
    : new BigheadRequestError(0, 'client_error', error instanceof Error ? error.message : String(error));
}

/**
 * A list (or other view) of one area that the poller keeps current.
 *
 * `refresh()` reads the server only through `fetch()`; calls never overlap, and one
 * asked while another runs runs after it (so it sees the change that prompted it).
 * Views call `watch()` while shown: the poller reloads the data only while watched,
 * but emits `invalidated` on every poll, for views that read details of the area.
 */
export abstract class AreaModel<T> implements IPollTask {
  /** The data of the last successful read, or null before the first. */
  get data(): T | null {
    return this._data;
  }

  /** The error of the last read, or null when it succeeded. */
  get error(): BigheadRequestError | null {
    return this._error;
  }

  /** True while a read runs. */
  get loading(): boolean {
    return this._loading;
  }

  /** Emitted whenever data, error or loading change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted when the server state of this area may have changed: on each poll, and
   * when this page changed it (`invalidate()`). Detail views reload on it.
   */
  get invalidated(): ISignal<this, void> {
    return this._invalidated;
  }

  /** Seconds between two polls; subclasses poll faster while something is live. */
  get pollSeconds(): number {
    return POLL_SECONDS;
  }

  /** The poller's call: the same as `invalidate()`. */
  poll(): Promise<void> {
    return this.invalidate();
  }

  /** Something in this area changed: tell the detail views and reload if watched. */
  invalidate(): Promise<void> {
    this._invalidated.emit();
    return this.watched ? this.refresh() : Promise.resolve();
  }

  /** Whether a view shows this area now. */
  get watched(): boolean {
    return this._watchers > 0;
  }

  /**
   * Keep the data current while the result is not disposed. Each new watch reads the
   * data again: a view that appears shows the server's state now, not the last poll's.
   */
  watch(): IDisposable {
    this._watchers++;
    void this.refresh();
    let disposed = false;
    return {
      get isDisposed() {
        return disposed;
      },
      dispose: () => {
        if (!disposed) {
          disposed = true;
          this._watchers--;
        }
      }
    };
  }

  /** Read the data again; never throws, records the error instead. */
  refresh(): Promise<void> {
    if (this._running !== null) {
      if (this._queued === null) {
        this._queued = this._running.then(() => {
          this._queued = null;
          return this._run();
        });
      }
      return this._queued;
    }
    return this._run();
  }

  /** Read the data from the server (through the typed client). */
  protected abstract fetch(): Promise<T>;

  /** Whether a failed read clears the data (true) or keeps the last one shown. */
  protected clearOnError = false;

  private _run(): Promise<void> {
    this._running = this._read().finally(() => {
      this._running = null;
    });
    return this._running;
  }

  private async _read(): Promise<void> {
    this._loading = true;
    this._changed.emit();
    try {
      const next = await this.fetch();
      // The same answer keeps the same object, so views keyed on it do not redo work.
      if (this._data === null || JSON.stringify(next) !== JSON.stringify(this._data)) {
        this._data = next;
      }
      this._error = null;
    } catch (error) {
      this._error = asRequestError(error);
      if (this.clearOnError) {
        this._data = null;
      }
    } finally {
      this._loading = false;
      this._changed.emit();
    }
  }

  private _data: T | null = null;
  private _error: BigheadRequestError | null = null;
  private _loading = false;
  private _watchers = 0;
  private _running: Promise<void> | null = null;
  private _queued: Promise<void> | null = null;
  private _changed = new Signal<this, void>(this);
  private _invalidated = new Signal<this, void>(this);
}
