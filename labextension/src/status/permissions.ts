/**
 * What the signed-in user may do, from `GET /bighead/api/status`'s `user`.
 *
 * One helper for every action button of the lab: `permit(user, permission)` says
 * whether the user's roles allow it and, when not, why, in the server's own wording
 * ("needs the role data_scientist or admin"); buttons are disabled with that as their
 * `title`. The server still checks every request: this only spares a click that would
 * be refused. Before the status is known (or from a server that does not say), every
 * action is allowed, as in single-user mode.
 */
import { IUser, Permission } from '../api/status';

/** Whether an action is allowed, and the hover text that says why not (or a caveat). */
export interface IPermit {
  allowed: boolean;
  /** Empty when allowed without a caveat. */
  reason: string;
}

const ALLOWED: IPermit = { allowed: true, reason: '' };

/** Which roles grant each permission, least first, as jupyter_bighead.roles.GRANTS says. */
const DEFAULT_GRANTED_BY: { [permission: string]: string[] } = {
  read: ['viewer', 'data_scientist', 'reviewer', 'admin'],
  write: ['data_scientist', 'admin'],
  review: ['reviewer', 'admin'],
  admin: ['admin']
};

/** "needs the role data_scientist or admin": the roles that would allow `permission`. */
export function needsRole(user: IUser | null | undefined, permission: Permission): string {
  const roles = user?.granted_by?.[permission] ?? DEFAULT_GRANTED_BY[permission] ?? [permission];
  return `needs the role ${roles.join(' or ')}`;
}

function refused(user: IUser, permission: Permission, what: string): IPermit {
  const held = user.roles.length > 0 ? user.roles.join(', ') : 'no role';
  const prefix = what ? `${what} ` : '';
  return { allowed: false, reason: `${prefix}${needsRole(user, permission)} (${user.name} has ${held})` };
}

/** Whether `user` may do what `permission` covers; `what` names the action in the hover. */
export function permit(user: IUser | null | undefined, permission: Permission, what = ''): IPermit {
  if (!user || !Array.isArray(user.permissions) || user.permissions.includes(permission)) {
    return ALLOWED;
  }
  return refused(user, permission, what);
}

/**
 * Acting on something someone owns (cancel a job, delete a deployment): the owner with
 * `write`, anyone else with `admin`. An unknown owner counts as someone else's.
 */
export function permitOwner(
  user: IUser | null | undefined,
  owner: string | null | undefined,
  what = ''
): IPermit {
  const own = permit(user, 'write', what);
  if (!own.allowed || !user || !user.team || (owner !== null && owner !== undefined && owner === user.name)) {
    return own;
  }
  return permit(user, 'admin', what ? `${what} of ${owner || 'another user'}` : '');
}

/** What is done to an alias: point it at a version, remove it, or roll it back. */
export type AliasAction = 'set' | 'remove' | 'rollback';

/**
 * Moving `alias`: `write`; a protected alias (with roles configured) is moved by an
 * admin, or by the author of an approved review, which the lab does not know yet: the
 * button stays enabled and says so. Removing or rolling back a protected one is an
 * admin's.
 */
export function permitAlias(user: IUser | null | undefined, alias: string, action: AliasAction): IPermit {
  const what = action === 'set' ? `Setting ${alias}` : action === 'remove' ? `Removing ${alias}` : `Rolling back ${alias}`;
  const base = permit(user, 'write', what);
  if (!base.allowed || !user || !user.team || !(user.protected_aliases ?? []).includes(alias)) {
    return base;
  }
  if (user.permissions.includes('admin')) {
    return ALLOWED;
  }
  if (action === 'set') {
    return { allowed: true, reason: `${alias} is protected: moving it needs an approved review or the admin role` };
  }
  return refused(user, 'admin', `${what} (protected)`);
}

/** The `disabled` and `title` props of a button that `p` gates (`busy`: disabled anyway). */
export function gate(p: IPermit, busy = false): { disabled: boolean; title?: string } {
  return p.reason ? { disabled: busy || !p.allowed, title: p.reason } : { disabled: busy || !p.allowed };
}
