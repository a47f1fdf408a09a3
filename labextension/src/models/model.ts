/**
 * The registered models, as the Models section lists them.
 */
import { BigheadClient } from '../api';
import { IModelSummary, IPage } from '../api/models';
import { AreaModel } from '../core/area';

/** How many models the sidebar lists. */
export const MODELS_SHOWN = 200;

export class ModelsModel extends AreaModel<IPage<IModelSummary>> {
  constructor(readonly client: BigheadClient) {
    super();
  }

  protected fetch(): Promise<IPage<IModelSummary>> {
    return this.client.models.list({ limit: MODELS_SHOWN });
  }
}
