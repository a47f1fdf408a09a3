/**
 * What the lab lets a user do, from the status's `user`: one helper for every button.
 */
import { describe, expect, it } from 'vitest';

import { BigheadClient, IStatus, IUser, Requester } from '../src/api';
import { StatusModel } from '../src/status/model';
import { gate, needsRole, permit, permitAlias, permitOwner } from '../src/status/permissions';

const GRANTED_BY = {
  read: ['viewer', 'data_scientist', 'reviewer', 'admin'],
  write: ['data_scientist', 'admin'],
  review: ['reviewer', 'admin'],
  admin: ['admin']
};

function user(name: string, roles: string[], permissions: IUser['permissions'], team = true): IUser {
  return { name, roles, permissions, team, protected_aliases: ['production'], granted_by: GRANTED_BY };
}

const vera = user('vera', ['viewer'], ['read']);
const dana = user('dana', ['data_scientist'], ['read', 'write']);
const adam = user('adam', ['admin'], ['read', 'write', 'review', 'admin']);
const solo = user('me', ['viewer', 'data_scientist', 'reviewer', 'admin'], ['read', 'write', 'review', 'admin'], false);

describe('permit', () => {
  it("refuses what the user's roles do not allow, naming the roles that would, as the server does", () => {
    const p = permit(vera, 'write', 'Deploy');
    expect(p.allowed).toBe(false);
    expect(p.reason).toBe('Deploy needs the role data_scientist or admin (vera has viewer)');
    expect(permit(user('nora', [], []), 'read').reason).toBe('needs the role viewer or data_scientist or reviewer or admin (nora has no role)');
  });

  it('allows what the roles allow, without a hover', () => {
    expect(permit(dana, 'write', 'Deploy')).toEqual({ allowed: true, reason: '' });
    expect(permit(dana, 'admin').allowed).toBe(false);
    expect(permit(adam, 'admin').allowed).toBe(true);
  });

  it('allows everything before the status is known, and for a server that does not say', () => {
    expect(permit(null, 'admin').allowed).toBe(true);
    expect(permit(undefined, 'write').allowed).toBe(true);
    expect(permit({ name: 'x' } as IUser, 'write').allowed).toBe(true);
  });

  it("names the roles from the server's table, else the built-in one", () => {
    expect(needsRole({ ...vera, granted_by: { write: ['writer'] } }, 'write')).toBe('needs the role writer');
    expect(needsRole(null, 'review')).toBe('needs the role reviewer or admin');
  });
});

describe('permitOwner', () => {
  it("lets the owner act with write, and anyone else only as an admin", () => {
    expect(permitOwner(dana, 'dana', 'Cancelling the job').allowed).toBe(true);
    const other = permitOwner(dana, 'dino', 'Cancelling the job');
    expect(other.allowed).toBe(false);
    expect(other.reason).toBe('Cancelling the job of dino needs the role admin (dana has data_scientist)');
    expect(permitOwner(dana, null).allowed).toBe(false);
    expect(permitOwner(adam, 'dino').allowed).toBe(true);
    expect(permitOwner(vera, 'vera').allowed).toBe(false); // a viewer cancels nothing
  });

  it('in single-user mode, everything is the one user’s', () => {
    expect(permitOwner(solo, 'someone-else').allowed).toBe(true);
  });
});

describe('permitAlias', () => {
  it('moves an unprotected alias with write', () => {
    expect(permitAlias(dana, 'staging', 'set')).toEqual({ allowed: true, reason: '' });
    expect(permitAlias(vera, 'staging', 'set').reason).toBe('Setting staging needs the role data_scientist or admin (vera has viewer)');
  });

  it('a protected alias: an admin moves it; a data scientist may with an approved review, and is told so', () => {
    expect(permitAlias(adam, 'production', 'set')).toEqual({ allowed: true, reason: '' });
    const set = permitAlias(dana, 'production', 'set');
    expect(set.allowed).toBe(true);
    expect(set.reason).toBe('production is protected: moving it needs an approved review or the admin role');
    const back = permitAlias(dana, 'production', 'rollback');
    expect(back.allowed).toBe(false);
    expect(back.reason).toContain('needs the role admin');
  });

  it('single-user mode protects nothing from the one user', () => {
    expect(permitAlias(solo, 'production', 'rollback')).toEqual({ allowed: true, reason: '' });
  });
});

describe('gate', () => {
  it("gives a button's disabled and title props", () => {
    expect(gate(permit(vera, 'write', 'Deploy'))).toEqual({
      disabled: true,
      title: 'Deploy needs the role data_scientist or admin (vera has viewer)'
    });
    expect(gate(permit(dana, 'write'))).toEqual({ disabled: false });
    expect(gate(permit(dana, 'write'), true)).toEqual({ disabled: true });
  });
});

describe('StatusModel', () => {
  it('answers can() from the status it read, and changes when the status does', async () => {
    let answer: IStatus = { version: '1', home: '/h', stores: {}, executor: 'local', user: vera };
    const request: Requester = async <T>(): Promise<T> => answer as unknown as T;
    const model = new StatusModel(new BigheadClient(request));
    expect(model.can('write')).toBe(true); // not read yet
    await model.refresh();
    expect(model.user?.name).toBe('vera');
    expect(model.can('read')).toBe(true);
    expect(model.can('write')).toBe(false);
    expect(model.permit('write', 'Run remotely').reason).toContain('needs the role data_scientist or admin');
    answer = { ...answer, user: dana };
    await model.refresh();
    expect(model.can('write')).toBe(true);
    expect(model.permitOwner('dino').allowed).toBe(false);
    expect(model.permitAlias('production', 'set').allowed).toBe(true);
  });
});
