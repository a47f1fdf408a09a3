/**
 * The model registry: models, versions, evaluation views, comparisons and aliases.
 */
import { AreaClient } from './client';

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

/** A pipeline's graph, `Pipeline.describe()`. */
export interface IPipelineGraph {
  nodes: { id: string; name?: string; kind?: string; columns?: string[] | null; outputs?: string[] | null }[];
  edges: ({ source: string; target: string; columns?: string[] | null } | [string, string])[];
  resources?: { [resource: string]: unknown };
  [key: string]: unknown;
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

/** `GET models/{name}`. */
export interface IModelDetail extends IModelSummary {
  [key: string]: unknown;
}

export class ModelsClient extends AreaClient {
  /** Registered models, newest first. */
  list(query: { limit?: number; offset?: number; cursor?: string; prefix?: string } = {}): Promise<IPage<IModelSummary>> {
    return this.call('models', { query: { ...query } });
  }

  /** One model with its aliases. */
  get(name: string): Promise<IModelDetail> {
    return this.call('model', { params: { name } });
  }

  /** The versions of a model, newest first. */
  versions(name: string, query: { limit?: number; offset?: number; cursor?: string } = {}): Promise<IPage<IModelVersion>> {
    return this.call('modelVersions', { params: { name }, query: { ...query } });
  }

  /** One version with its evaluation, figures and pipeline. */
  version(name: string, version: number): Promise<IVersionView> {
    return this.call('modelVersion', { params: { name, version } });
  }

  /** The trend of `metric` over the versions, as a Plotly figure. */
  trend(name: string, metric: string): Promise<{ figure: IPlotlyFigure }> {
    return this.call('modelTrend', { params: { name }, query: { metric } });
  }

  /** Metrics, params, tags and features of versions `a` and `b` side by side. */
  compare(name: string, a: number, b: number): Promise<ICompare> {
    return this.call('modelCompare', { params: { name }, query: { a, b } });
  }

  /** Point `alias` at `version`. */
  setAlias(name: string, alias: string, version: number): Promise<unknown> {
    return this.call('setAlias', { params: { name, alias }, body: { version } });
  }

  /** Remove `alias`. */
  deleteAlias(name: string, alias: string): Promise<unknown> {
    return this.call('deleteAlias', { params: { name, alias } });
  }

  /** Point `alias` back at the version it named before. */
  rollbackAlias(name: string, alias: string): Promise<unknown> {
    return this.call('rollbackAlias', { params: { name, alias } });
  }

  /** The versions `alias` pointed at, newest first. */
  aliasHistory(name: string, alias: string, query: { limit?: number; offset?: number } = {}): Promise<IPage<unknown>> {
    return this.call('aliasHistory', { params: { name, alias }, query: { ...query } });
  }
}
