/**
 * The server status shown at the top of the Bighead sidebar.
 */
import { BigheadClient } from '../api';
import { IStatus } from '../api/status';
import { AreaModel } from '../core/area';

export class StatusModel extends AreaModel<IStatus> {
  constructor(readonly client: BigheadClient) {
    super();
    // An unreachable server shows only the error, not a stale status.
    this.clearOnError = true;
  }

  /** The last status the server returned, or null. */
  get status(): IStatus | null {
    return this.data;
  }

  /** The user's `statusRefreshSeconds`; 0 (the default) polls never. */
  get pollSeconds(): number {
    return this._seconds;
  }

  set pollSeconds(seconds: number) {
    this._seconds = Math.max(0, seconds);
  }

  /** The status is always shown: each poll reads it. */
  poll(): Promise<void> {
    return this.refresh();
  }

  protected fetch(): Promise<IStatus> {
    return this.client.status.get();
  }

  private _seconds = 0;
}
