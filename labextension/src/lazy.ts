/**
 * What the plugins load only after JupyterLab restored its layout: the model view, the
 * review tab, the notebook tools and the notifiers each sit in a chunk of their own,
 * imported with `import()`, so that a lab start runs none of their code before the
 * layout is back (issue 18: at most 50 ms extra to restore).
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';

import { IBigheadModels } from './tokens';

/** A function that imports a module once and hands out the same promise after. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () => {
    if (!loading) {
      loading = load();
      // a failed import may be retried (e.g. the server was restarting)
      loading.catch(() => (loading = null));
    }
    return loading;
  };
}

export const loadModelView = once(() => import(/* webpackChunkName: "bighead-model-view" */ './models/view'));
export const loadReviews = once(() => import(/* webpackChunkName: "bighead-review-view" */ './reviews/open'));
export const loadNotebookTools = once(() => import(/* webpackChunkName: "bighead-notebook" */ './notebook'));
export const loadAlerts = once(() => import(/* webpackChunkName: "bighead-alerts" */ './models/alerts'));
export const loadNews = once(() => import(/* webpackChunkName: "bighead-news" */ './notify/plugin'));

/**
 * Run `start` once the lab's layout is restored; a failure is logged, never thrown
 * (a plugin's extra must not break the lab).
 */
export function afterRestore(app: JupyterFrontEnd, what: string, start: () => Promise<unknown> | unknown): void {
  void app.restored
    .then(start)
    .catch(reason => console.error(`jupyter-bighead: could not start ${what}`, reason));
}

/** The id of `reviews/open`'s command (kept here so that registering it loads nothing). */
export const OPEN_REVIEW_COMMAND = 'bighead:open-review';

/** Register the open-review command, whose tab is imported when first run. */
export function addLazyOpenReviewCommand(app: JupyterFrontEnd, areas: IBigheadModels): void {
  if (!app.commands.hasCommand(OPEN_REVIEW_COMMAND)) {
    app.commands.addCommand(OPEN_REVIEW_COMMAND, {
      label: 'Open a review',
      execute: async args => (await loadReviews()).openReview(app, areas, String(args.id))
    });
  }
}

/**
 * The news plugin (`notify/plugin`), its code imported and activated after the restore.
 * Its id and description are the loaded plugin's (a unit test compares them).
 */
export const lazyNewsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-bighead:news',
  description: "The user's reviews decided and jobs finished, in JupyterLab's notification center, once each.",
  autoStart: true,
  requires: [IBigheadModels],
  activate: (app: JupyterFrontEnd, areas: IBigheadModels): void => {
    addLazyOpenReviewCommand(app, areas);
    afterRestore(app, 'the news notifier', async () => (await loadNews()).newsPlugin.activate(app, areas));
  }
};
