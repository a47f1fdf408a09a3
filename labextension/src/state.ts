/**
 * Every area model of the page, and the one poller that keeps them current.
 */
import { BigheadClient } from './api';
import { BlocksModel } from './blocks/model';
import { Poller } from './core/poller';
import { DeploymentsModel } from './deployments/model';
import { FeaturesModel } from './features/model';
import { JobsModel } from './jobs/model';
import { ModelsModel } from './models/model';
import { ClusterModel } from './status/cluster';
import { StatusModel } from './status/model';
import { IBigheadModels } from './tokens';

export class BigheadModels implements IBigheadModels {
  readonly status: StatusModel;
  readonly cluster: ClusterModel;
  readonly models: ModelsModel;
  readonly features: FeaturesModel;
  readonly jobs: JobsModel;
  readonly deployments: DeploymentsModel;
  readonly blocks: BlocksModel;

  /** Areas read through `client`; each registered with `poller` (not started here). */
  constructor(
    readonly client: BigheadClient,
    readonly poller: Poller = new Poller()
  ) {
    this.status = new StatusModel(client);
    this.cluster = new ClusterModel(client);
    this.models = new ModelsModel(client);
    this.features = new FeaturesModel(client);
    this.jobs = new JobsModel(client);
    this.deployments = new DeploymentsModel(client);
    this.blocks = new BlocksModel(client);
    for (const area of [this.status, this.cluster, this.models, this.features, this.jobs, this.deployments, this.blocks]) {
      poller.add(area);
    }
  }
}
