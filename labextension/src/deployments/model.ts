/**
 * Every deployment (endpoint) with its status, as the Deployments section lists them.
 */
import { BigheadClient } from '../api';
import { IDeployment } from '../api/deployments';
import { AreaModel } from '../core/area';

/** Statuses that need no more following (see jupyter_bighead.serving.deploy.STATUSES). */
export const DONE_STATUSES: ReadonlySet<string> = new Set(['running', 'failed', 'stopped']);

export class DeploymentsModel extends AreaModel<IDeployment[]> {
  constructor(readonly client: BigheadClient) {
    super();
  }

  /** The deployments last read (empty before the first read). */
  get items(): IDeployment[] {
    return this.data ?? [];
  }

  protected async fetch(): Promise<IDeployment[]> {
    return (await this.client.deployments.list()).items;
  }
}
