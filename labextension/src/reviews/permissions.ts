/**
 * Who may act on a review, as the server decides it (see handlers/reviews.py): the
 * buttons are disabled with the reason as their hover. The server checks every request.
 */
import { IReview } from '../api/reviews';
import { IUser } from '../api/status';
import { IPermit, permit } from '../status/permissions';

const ALLOWED: IPermit = { allowed: true, reason: '' };

function closed(review: IReview, verb: string): IPermit | null {
  return review.state === 'pending' ? null : { allowed: false, reason: `${verb} needs a pending review; this one is ${review.state}` };
}

/** Approving or rejecting: the review permission, never on one's own review. */
export function permitDecide(user: IUser | null | undefined, review: IReview, verb = 'Approving'): IPermit {
  if (user && user.name === review.author) {
    return { allowed: false, reason: `${user.name} requested this review and may not decide it: another reviewer must` };
  }
  return closed(review, verb) ?? permit(user, 'review', verb);
}

/** Commenting: the review's author, or anyone who may review. */
export function permitComment(user: IUser | null | undefined, review: IReview): IPermit {
  if (user && user.name === review.author) {
    return ALLOWED;
  }
  const p = permit(user, 'review', 'Commenting');
  return p.allowed ? p : { allowed: false, reason: `${p.reason}, or to be the review's author (${review.author})` };
}

/** Withdrawing: the author or an admin, while pending or approved and not applied. */
export function permitWithdraw(user: IUser | null | undefined, review: IReview): IPermit {
  if (review.applied || !['pending', 'approved'].includes(review.state)) {
    return { allowed: false, reason: `This review is ${review.applied ? 'applied' : review.state}: it cannot be withdrawn` };
  }
  if (!user || user.name === review.author) {
    return ALLOWED;
  }
  const p = permit(user, 'admin', 'Withdrawing');
  return p.allowed ? p : { allowed: false, reason: `Only its author (${review.author}) or an admin may withdraw it` };
}

/** "churn v2 → production". */
export function reviewTitle(review: Pick<IReview, 'name' | 'version' | 'alias'>): string {
  return `${review.name} v${review.version} → ${review.alias}`;
}
