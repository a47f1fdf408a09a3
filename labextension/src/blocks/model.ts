/**
 * The catalog of pipeline blocks. Blocks change only when packages or the shared
 * folders do, so the catalog is read when shown and on Refresh, never polled.
 */
import { BigheadClient } from '../api';
import { IBlockCatalog } from '../api/blocks';
import { AreaModel } from '../core/area';

export class BlocksModel extends AreaModel<IBlockCatalog> {
  constructor(readonly client: BigheadClient) {
    super();
  }

  get pollSeconds(): number {
    return 0;
  }

  protected fetch(): Promise<IBlockCatalog> {
    return this.client.blocks.catalog();
  }
}
