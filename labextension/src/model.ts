/**
 * State of the Bighead sidebar, independent of how it is drawn.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { requestAPI } from './request';
import { BigheadRequestError, IStatus } from './tokens';

export class BigheadModel {
  private _status: IStatus | null = null;
  private _error: BigheadRequestError | null = null;
  private _loading = false;
  private _changed = new Signal<this, void>(this);

  /** The last status the server returned, or null. */
  get status(): IStatus | null {
    return this._status;
  }

  /** The error of the last refresh, or null when it succeeded. */
  get error(): BigheadRequestError | null {
    return this._error;
  }

  get loading(): boolean {
    return this._loading;
  }

  /** Emitted whenever status, error or loading change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Fetch `/bighead/api/status`; never throws, records the error instead. */
  async refresh(): Promise<void> {
    this._loading = true;
    this._changed.emit();
    try {
      this._status = await requestAPI<IStatus>('status');
      this._error = null;
    } catch (error) {
      this._error =
        error instanceof BigheadRequestError
          ? error
          : new BigheadRequestError(0, 'client_error', String(error));
      this._status = null;
    } finally {
      this._loading = false;
      this._changed.emit();
    }
  }
}
