/**
 * Opening a review in the main area (one tab per review).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';

import { IBigheadModels } from '../tokens';
import { ReviewPanel } from './view';

/** The command that opens a review: `{ id }`. */
export const OPEN_REVIEW_COMMAND = 'bighead:open-review';

/** Show review `id` (a tab already open for it is brought forward and reloaded). */
export function openReview(app: JupyterFrontEnd, areas: IBigheadModels, id: string): ReviewPanel {
  const widgetId = `bighead-review-${id}`;
  for (const widget of app.shell.widgets('main')) {
    if (widget.id === widgetId) {
      widget.dispose();
    }
  }
  const panel = new ReviewPanel(id, areas);
  app.shell.add(panel, 'main');
  app.shell.activateById(panel.id);
  return panel;
}

/** Register the open-review command. */
export function addOpenReviewCommand(app: JupyterFrontEnd, areas: IBigheadModels): void {
  if (!app.commands.hasCommand(OPEN_REVIEW_COMMAND)) {
    app.commands.addCommand(OPEN_REVIEW_COMMAND, {
      label: 'Open a review',
      execute: args => void openReview(app, areas, String(args.id))
    });
  }
}
