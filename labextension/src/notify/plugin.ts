/**
 * The plugin that shows the user's news (reviews decided, jobs finished) in
 * JupyterLab's notification center.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';

import { addOpenReviewCommand, OPEN_REVIEW_COMMAND } from '../reviews/open';
import { IBigheadModels } from '../tokens';
import { INews, NewsNotifier } from './notifier';

function show(app: JupyterFrontEnd, news: INews): void {
  const actions =
    news.kind === 'review'
      ? [{ label: 'Open review', callback: () => void app.commands.execute(OPEN_REVIEW_COMMAND, { id: news.id }) }]
      : [];
  const options = { autoClose: 8000 as const, actions };
  if (news.level === 'success') {
    Notification.success(news.text, options);
  } else if (news.level === 'error') {
    Notification.error(news.text, options);
  } else {
    Notification.info(news.text, options);
  }
}

export const newsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-bighead:news',
  description: "The user's reviews decided and jobs finished, in JupyterLab's notification center, once each.",
  autoStart: true,
  requires: [IBigheadModels],
  activate: (app: JupyterFrontEnd, areas: IBigheadModels): void => {
    addOpenReviewCommand(app, areas);
    const notifier = new NewsNotifier({
      user: () => areas.status.user?.name ?? null,
      reviews: query => areas.client.reviews.list(query),
      jobs: query => areas.client.jobs.list(query),
      storage: typeof localStorage === 'undefined' ? null : localStorage,
      notify: news => show(app, news)
    });
    areas.poller.add(notifier, { immediate: true });
  }
};
