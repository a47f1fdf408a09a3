/**
 * The feature catalog: search, definitions with their versions, online preview.
 */
import { AreaClient } from './client';

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

/** `POST features/preview`. */
export interface IPreviewRequest {
  features: string[];
  entities: unknown[];
  at: string | null;
}

/** Filters of `GET features`. */
export interface IFeatureQuery {
  search?: string;
  tag?: string;
  owner?: string;
  limit?: number;
  offset?: number;
}

export class FeaturesClient extends AreaClient {
  /** One page of the catalog, latest version of each feature. */
  list(query: IFeatureQuery = {}): Promise<IFeaturePage> {
    return this.call('features', { query: { ...query } });
  }

  /** A feature with all its versions. */
  get(name: string): Promise<IFeatureDetail> {
    return this.call('feature', { params: { name } });
  }

  /** What changed between versions `a` and `b` of a feature. */
  diff(name: string, a: number, b?: number): Promise<{ changes: IFeatureVersion['changes'] }> {
    return this.call('featureDiff', { params: { name }, query: { a, b } });
  }

  /** Online values of `features` for `entities` as of `at` (now when null). */
  preview(request: IPreviewRequest): Promise<IFeaturePreview> {
    return this.call('featurePreview', { body: request });
  }
}
