/**
 * The feature catalog as the Features section shows it: one search at a time.
 */
import { BigheadClient } from '../api';
import { IFeaturePage } from '../api/features';
import { AreaModel } from '../core/area';

export class FeaturesModel extends AreaModel<IFeaturePage> {
  constructor(readonly client: BigheadClient) {
    super();
  }

  /** The search text the list is filtered by (name, tag or owner). */
  get search(): string {
    return this._search;
  }

  /** Search for `text` and read the list again. */
  setSearch(text: string): Promise<void> {
    this._search = text;
    return this.refresh();
  }

  protected fetch(): Promise<IFeaturePage> {
    return this.client.features.list({ search: this._search, limit: 200 });
  }

  private _search = '';
}
