/**
 * The typed client of the Bighead REST API: one object per area.
 */
import { AdminClient } from './admin';
import { BlocksClient } from './blocks';
import { DeploymentsClient } from './deployments';
import { FeaturesClient } from './features';
import { JobsClient } from './jobs';
import { ModelsClient } from './models';
import { MonitoringClient } from './monitoring';
import { NotebooksClient } from './notebooks';
import { Requester, requestAPI } from './request';
import { ReviewsClient } from './reviews';
import { StatusClient } from './status';

export * from './admin';
export * from './blocks';
export * from './deployments';
export * from './features';
export * from './jobs';
export * from './models';
export * from './monitoring';
export * from './notebooks';
export * from './request';
export * from './reviews';
export * from './routes';
export * from './status';

export class BigheadClient {
  readonly status: StatusClient;
  readonly models: ModelsClient;
  readonly monitoring: MonitoringClient;
  readonly features: FeaturesClient;
  readonly jobs: JobsClient;
  readonly deployments: DeploymentsClient;
  readonly blocks: BlocksClient;
  readonly notebooks: NotebooksClient;
  readonly reviews: ReviewsClient;
  readonly admin: AdminClient;

  /** `request` sends each call: `requestAPI` by default, a stub in tests. */
  constructor(request: Requester = requestAPI) {
    this.status = new StatusClient(request);
    this.models = new ModelsClient(request);
    this.monitoring = new MonitoringClient(request);
    this.features = new FeaturesClient(request);
    this.jobs = new JobsClient(request);
    this.deployments = new DeploymentsClient(request);
    this.blocks = new BlocksClient(request);
    this.notebooks = new NotebooksClient(request);
    this.reviews = new ReviewsClient(request);
    this.admin = new AdminClient(request);
  }
}
