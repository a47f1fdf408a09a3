/**
 * The Admin area: the admin store's settings, every user's usage and the audit.
 *
 * One model per page, created on first use and polled by the page's one poller while
 * the Admin section is open (`adminOf`). Edits go through `save()`, which reloads the
 * area afterwards so the tables show the store's new version.
 */
import { IAdminSettings, IAdminUsage, IAuditEntry } from '../api/admin';
import { AreaModel } from '../core/area';
import { IBigheadModels } from '../tokens';

/** How many audit entries the section lists. */
export const AUDIT_SHOWN = 50;

export interface IAdminData {
  settings: IAdminSettings;
  usage: IAdminUsage;
  audit: IAuditEntry[];
}

export class AdminModel extends AreaModel<IAdminData> {
  constructor(readonly areas: IBigheadModels) {
    super();
  }

  protected async fetch(): Promise<IAdminData> {
    const { admin } = this.areas.client;
    const [settings, usage, audit] = await Promise.all([admin.settings(), admin.usage(), admin.audit(AUDIT_SHOWN)]);
    return { settings, usage, audit: audit.items };
  }

  /** Run one edit, then reload; the edit's error (if any) is thrown to the form. */
  async save(edit: () => Promise<unknown>): Promise<void> {
    try {
      await edit();
    } finally {
      await this.invalidate();
    }
  }
}

const models = new WeakMap<IBigheadModels, AdminModel>();

/** The Admin model of `areas`, created (and added to their poller) on first use. */
export function adminOf(areas: IBigheadModels): AdminModel {
  let model = models.get(areas);
  if (!model) {
    model = new AdminModel(areas);
    models.set(areas, model);
    areas.poller.add(model);
  }
  return model;
}

/** A quota value as the tables show it: a number, or "no limit". */
export function quotaText(value: number | null | undefined): string {
  return value === null || value === undefined ? 'no limit' : String(value);
}

/** A quota input's text as the API takes it: blank is null, else a whole number. */
export function quotaValue(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') {
    return null;
  }
  if (!/^[0-9]{1,7}$/.test(trimmed)) {
    throw new Error(`"${trimmed}" is not a whole number (leave it blank for no limit)`);
  }
  return Number(trimmed);
}

/** One audit entry as a line: "v4 ana put_profile profile:gpu". */
export function auditLine(entry: IAuditEntry): string {
  return `v${entry.version} ${entry.user} ${entry.action.replace(/_/g, ' ')} ${entry.target}`;
}
