/**
 * Identifiers of the Bighead frontend, and the Lumino tokens its plugins provide
 * to each other (and to third-party plugins).
 */
import { Token } from '@lumino/coreutils';

import type { BigheadClient } from './api';
import type { BlocksModel } from './blocks/model';
import type { Poller } from './core/poller';
import type { DeploymentsModel } from './deployments/model';
import type { FeaturesModel } from './features/model';
import type { JobsModel } from './jobs/model';
import type { ModelsModel } from './models/model';
import type { ClusterModel } from './status/cluster';
import type { StatusModel } from './status/model';

/** The plugin id; also the key of its settings in the lab settings registry. */
export const PLUGIN_ID = 'jupyter-bighead:plugin';

/** The DOM id of the left-sidebar panel. */
export const SIDEBAR_ID = 'bighead-sidebar';

/** Command ids. */
export namespace CommandIDs {
  export const openPanel = 'bighead:open-panel';
  export const refresh = 'bighead:refresh';
  export const togglePrototype = 'bighead:toggle-prototype';
  export const productionize = 'bighead:productionize';
  export const report = 'bighead:report';
  export const openModel = 'bighead:open-model';
  export const runRemotely = 'bighead:run-remotely';
}

/** The cell tag that marks prototype cells (in `cell.metadata.tags`). */
export const PROTOTYPE_TAG = 'prototype';

/** The typed client of the Bighead REST API, for other plugins. */
export const IBigheadClient = new Token<BigheadClient>(
  'jupyter-bighead:IBigheadClient',
  'The typed client of the Bighead REST API.'
);

/**
 * The state of every Bighead area, kept current by one poller. A plugin that changes
 * something on the server tells the area, e.g. `jobs.invalidate()` after a submit,
 * and every view of it reloads.
 */
export interface IBigheadModels {
  /** The client every area reads through. */
  readonly client: BigheadClient;
  readonly poller: Poller;
  readonly status: StatusModel;
  /** The Dask cluster the server is set up for (shown in the Status section). */
  readonly cluster: ClusterModel;
  readonly models: ModelsModel;
  readonly features: FeaturesModel;
  readonly jobs: JobsModel;
  readonly deployments: DeploymentsModel;
  readonly blocks: BlocksModel;
}

export const IBigheadModels = new Token<IBigheadModels>(
  'jupyter-bighead:IBigheadModels',
  'The Bighead areas (models, features, jobs, deployments, blocks, status) and their poller.'
);
