/**
 * The server status shown at the top of the Bighead sidebar.
 */
import { BigheadClient } from '../api';
import { IStatus, IUser, Permission } from '../api/status';
import { AreaModel } from '../core/area';
import { AliasAction, IPermit, permit, permitAlias, permitOwner } from './permissions';

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

  /** The signed-in user and their roles, once the status is read. */
  get user(): IUser | null {
    return this.data?.user ?? null;
  }

  /** Whether the user's roles allow `permission` (true until the status is known). */
  can(permission: Permission): boolean {
    return this.permit(permission).allowed;
  }

  /** Whether the user may do what `permission` covers, and the hover that says why not. */
  permit(permission: Permission, what = ''): IPermit {
    return permit(this.user, permission, what);
  }

  /** Acting on something `owner` owns: theirs with write, anyone's with admin. */
  permitOwner(owner: string | null | undefined, what = ''): IPermit {
    return permitOwner(this.user, owner, what);
  }

  /** Setting, removing or rolling back `alias` (protected ones: admin or a review). */
  permitAlias(alias: string, action: AliasAction): IPermit {
    return permitAlias(this.user, alias, action);
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
