/**
 * The catalog of pipeline blocks.
 */
import { AreaClient } from './client';

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

export class BlocksClient extends AreaClient {
  /** Every block (built-in, installed, shared), with the sources that failed to load. */
  catalog(search?: string): Promise<IBlockCatalog> {
    return this.call('blocks', { query: { search } });
  }
}
