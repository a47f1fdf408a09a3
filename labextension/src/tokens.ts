/**
 * Shared interfaces and identifiers of the Bighead frontend.
 */

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

/** `GET /bighead/api/status`. */
export interface IStatus {
  version: string;
  home: string;
  stores: { [store: string]: string };
  executor: string;
  python?: string;
}

/** The JSON body of every error the Bighead API returns. */
export interface IErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

/** A failed API call, carrying the server's error code and message. */
export class BigheadRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null
  ) {
    super(message);
    this.name = 'BigheadRequestError';
  }
}

/** One production cell that reads names only prototype cells define. */
export interface IOffense {
  cell: number;
  first_line: string;
  names: string[];
  reasons: string[];
}

/** The dependency check of productionize. */
export interface IDependencyReport {
  ok: boolean;
  offenses: IOffense[];
  magics: { cell: number; line: number; kind: string; text: string; prototype: boolean }[];
  undefined: { [cell: string]: string[] };
}

/** `POST /bighead/api/notebooks/productionize`. */
export interface IProductionResult {
  source: string;
  notebook: string;
  module: string;
  manifest: string;
  executed: string | null;
  removed_cells: number[];
  warnings: string[];
  dependencies: IDependencyReport;
}

/** One catalog entry of `GET /bighead/api/features`. */
export interface IFeatureSummary {
  name: string;
  version: number;
  versions: number;
  agg: string;
  column: string | null;
  window: string | null;
  source: string;
  entity: string;
  owner: string | null;
  tags: string[];
  description: string;
  created_at: string;
}

export interface IFeaturePage {
  total: number;
  offset: number;
  limit: number;
  items: IFeatureSummary[];
}

/** One version in `GET /bighead/api/features/{name}`. */
export interface IFeatureVersion {
  name: string;
  version: number;
  owner: string | null;
  description: string;
  tags: string[];
  created_at: string;
  definition: {
    agg: string;
    column: string | null;
    window: string | null;
    source: { name: string; path: string | null; query: string | null; entity: string; timestamp: string; created_at: string | null };
  };
  changes: { field: string; old: unknown; new: unknown }[];
}

export interface IFeatureDetail {
  name: string;
  latest: IFeatureVersion;
  versions: IFeatureVersion[];
}

export interface IFeaturePreview {
  features: string[];
  rows: { [column: string]: unknown }[];
}

/** A Plotly figure as JSON (`application/vnd.plotly.v1+json`). */
export interface IPlotlyFigure {
  data: unknown[];
  layout?: { [key: string]: unknown };
}

export interface IPage<T> {
  items: T[];
  total: number;
  next_cursor: string | null;
}

export interface IModelSummary {
  name: string;
  latest_version: number;
  created_at: string;
  updated_at: string;
  aliases: { [alias: string]: number };
}

export interface IModelVersion {
  name: string;
  version: number;
  created_at: string;
  created_by: string;
  flavor: string;
  model_class: string;
  task: string;
  description: string;
  params: { [key: string]: unknown };
  metrics: { [key: string]: number };
  tags: { [key: string]: string };
  features: string[];
  input_schema: { name: string; dtype: string }[];
  dataset: { [key: string]: unknown } | null;
  lineage: { [key: string]: unknown };
}

export interface IVersionView {
  version: IModelVersion;
  aliases: string[];
  evaluation: { metrics: { [key: string]: number } } | null;
  figures: { [name: string]: IPlotlyFigure };
  /** For pipelines: the DAG, the declared resources and the raw request columns. */
  pipeline?: {
    graph: IPipelineGraph;
    resources: { [resource: string]: unknown };
    inputs?: { name: string; dtype: string; required: boolean }[];
  } | null;
}

export interface IMappingDiff {
  changed: { [key: string]: { a: unknown; b: unknown } };
  added: { [key: string]: unknown };
  removed: { [key: string]: unknown };
}

export interface ICompare {
  name: string;
  a: number;
  b: number;
  metrics: { [key: string]: { a: number | null; b: number | null; delta: number | null } };
  params: IMappingDiff;
  tags: IMappingDiff;
  features: { added: string[]; removed: string[]; changed: { feature: string; a: string; b: string }[]; unchanged: string[] };
}

export interface IProfile {
  name: string;
  cpu: string;
  memory: string;
  gpu: number;
  image: string | null;
  description: string;
  max_concurrent_per_user: number;
}

export interface IJob {
  id: string;
  name: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  final: boolean;
  executor: string;
  created: string;
  started: string | null;
  finished: string | null;
  user: string | null;
  error: string | null;
  resources: { [key: string]: unknown };
  metrics: { [key: string]: number };
  outputs: { [key: string]: string | null };
  spec: { notebook: string | null; function: string | null; profile: string; parameters: { [key: string]: unknown } };
}

/** One parameter of a pipeline block's constructor. */
export interface IBlockParameter {
  name: string;
  type: string | null;
  default: unknown;
  required?: boolean;
}

/** One entry of `GET /bighead/api/blocks`. */
export interface IBlock {
  name: string;
  summary: string;
  doc?: string;
  parameters: IBlockParameter[];
  resources: { [resource: string]: unknown };
  owner: string | null;
  source: string;
  module?: string;
  snippet: string;
}

/** `GET /bighead/api/blocks`. */
export interface IBlockCatalog {
  blocks: IBlock[];
  errors: { source: string; message: string }[];
}

/** A pipeline's graph, `Pipeline.describe()`. */
export interface IPipelineGraph {
  nodes: { id: string; name?: string; kind?: string; columns?: string[] | null; outputs?: string[] | null }[];
  edges: ({ source: string; target: string; columns?: string[] | null } | [string, string])[];
  resources?: { [resource: string]: unknown };
  [key: string]: unknown;
}

/** A deployment of a model version (`/bighead/api/deployments`). */
export interface IDeployment {
  id: string;
  model: string;
  version: number | null;
  alias: string | null;
  target: string;
  status: string;
  url: string | null;
  replicas: number;
  reason?: string | null;
  [key: string]: unknown;
}
