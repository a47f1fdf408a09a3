/**
 * The Reviews area: pending reviews (what reviewers decide) and the user's own.
 *
 * One model per page, created on first use for the page's areas and polled by their
 * one poller (`reviewsOf`), so the sidebar section and the model view share it.
 */
import { IPage } from '../api/models';
import { IReview } from '../api/reviews';
import { AreaModel } from '../core/area';
import { IBigheadModels } from '../tokens';

/** How many reviews each list shows. */
export const REVIEWS_SHOWN = 50;

export interface IReviewLists {
  pending: IPage<IReview>;
  /** The user's own reviews (any state); null before the user is known. */
  mine: IPage<IReview> | null;
}

export class ReviewsModel extends AreaModel<IReviewLists> {
  constructor(readonly areas: IBigheadModels) {
    super();
  }

  protected async fetch(): Promise<IReviewLists> {
    const { client, status } = this.areas;
    const me = status.user?.name;
    const [pending, mine] = await Promise.all([
      client.reviews.list({ state: 'pending', limit: REVIEWS_SHOWN }),
      me ? client.reviews.list({ author: me, limit: REVIEWS_SHOWN }) : Promise.resolve(null)
    ]);
    return { pending, mine };
  }
}

const models = new WeakMap<IBigheadModels, ReviewsModel>();

/** The Reviews model of `areas`, created (and added to their poller) on first use. */
export function reviewsOf(areas: IBigheadModels): ReviewsModel {
  let model = models.get(areas);
  if (!model) {
    model = new ReviewsModel(areas);
    models.set(areas, model);
    areas.poller.add(model);
  }
  return model;
}
