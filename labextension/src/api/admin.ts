/**
 * Admin settings: compute profiles, kernelspec -> image mappings, per-user quotas,
 * every user's usage and the audit of every change (`/bighead/api/admin`).
 */
import { AreaClient } from './client';
import { IJob, IProfile } from './jobs';

/** A profile as the admin edits it (the name is in the URL). */
export interface IProfileSpec {
  cpu: string;
  memory: string;
  gpu?: number;
  image?: string | null;
  description?: string;
  max_concurrent_per_user?: number;
  node_selector?: { [label: string]: string };
  tolerations?: { [key: string]: unknown }[];
}

/** Limits of one user (or the default, `*`); null: none (an override: the default's). */
export interface IQuota {
  max_running_jobs: number | null;
  max_gpus: number | null;
  max_deployments: number | null;
}

export type QuotaName = keyof IQuota;

/** `GET admin/settings`. */
export interface IAdminSettings {
  version: number;
  updated: string | null;
  updated_by: string | null;
  profiles: (IProfile & { node_selector?: { [label: string]: string } })[];
  kernel_images: { [kernelspec: string]: string };
  /** User (or `*`: the default) -> quota. */
  quotas: { [user: string]: IQuota };
  /** Quota name -> what it bounds. */
  quota_help: { [name: string]: string };
}

/** One audited change. */
export interface IAuditEntry {
  version: number;
  at: string;
  user: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

/** One user's usage next to the quota that holds for them. */
export interface IUserUsage {
  user: string;
  running_jobs: number;
  gpus: number;
  deployments: number;
  quota: IQuota;
}

/** `GET admin/usage`. */
export interface IAdminUsage {
  users: IUserUsage[];
  jobs: IJob[];
  deployments: { id: string; model: string; version: number; status: string; user: string | null }[];
}

export class AdminClient extends AreaClient {
  settings(): Promise<IAdminSettings> {
    return this.call('adminSettings');
  }

  profile(name: string): Promise<IProfile> {
    return this.call('adminProfile', { params: { name } });
  }

  putProfile(name: string, spec: IProfileSpec): Promise<IProfile> {
    return this.call('putAdminProfile', { params: { name }, body: spec });
  }

  deleteProfile(name: string): Promise<void> {
    return this.call('deleteAdminProfile', { params: { name } });
  }

  /** Map `kernelspec` to `image`; null removes the mapping. */
  putKernelImage(kernelspec: string, image: string | null): Promise<{ kernelspec: string; image: string | null }> {
    return this.call('putKernelImage', { params: { kernelspec }, body: { image } });
  }

  /** Set `user`'s quota (`*`: the default). */
  putQuota(user: string, quota: Partial<IQuota>): Promise<IQuota & { user: string; effective: IQuota }> {
    return this.call('putQuota', { params: { user }, body: quota });
  }

  audit(limit = 50, offset = 0): Promise<{ items: IAuditEntry[] }> {
    return this.call('adminAudit', { query: { limit, offset } });
  }

  usage(): Promise<IAdminUsage> {
    return this.call('adminUsage');
  }
}
