/**
 * Reviewer reports: render on the server, show in a lab tab.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { bigheadIcon } from '../icons';
import { NotebooksClient } from '../api/notebooks';
import { errorText } from '../api/request';

/** Render the report of the notebook in `panel` and open it in a main-area tab. */
/**
 * A sandboxed frame showing a report's HTML. The page gets `allow-scripts` (for the
 * inlined Plotly charts) but not `allow-same-origin`: its scripts can never reach
 * JupyterLab or the server with the user's credentials.
 */
export class ReportFrame extends Widget {
  constructor(html: string) {
    super({ node: document.createElement('iframe') });
    const frame = this.node as HTMLIFrameElement;
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.setAttribute('title', 'Reviewer report');
    frame.style.border = 'none';
    frame.style.width = '100%';
    frame.style.height = '100%';
    frame.srcdoc = html;
  }
}

export async function openReport(
  app: JupyterFrontEnd,
  client: NotebooksClient,
  panel: NotebookPanel
): Promise<MainAreaWidget<ReportFrame> | null> {
  if (panel.context.model.dirty) {
    await panel.context.save();
  }
  try {
    const { report } = await client.report(panel.context.path);
    const file = await app.serviceManager.contents.get(report, {
      type: 'file',
      format: 'text',
      content: true
    });
    const widget = new MainAreaWidget({ content: new ReportFrame(String(file.content)) });
    widget.id = `bighead-report-${report}`;
    widget.addClass('jp-bighead-report');
    widget.title.label = `Report: ${PathExt.basename(panel.context.path)}`;
    widget.title.icon = bigheadIcon;
    widget.title.closable = true;
    app.shell.add(widget, 'main', { mode: 'split-right' });
    app.shell.activateById(widget.id);
    return widget;
  } catch (error) {
    Notification.error(`Could not render the report: ${errorText(error)}`);
    return null;
  }
}
