/**
 * The Productionize flow: save, call the server, show the result inline.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { IDependencyReport, IPlan, IProductionResult, NotebooksClient } from '../api/notebooks';
import { BigheadRequestError, errorText } from '../api/request';

const BANNER_CLASS = 'jp-bighead-productionize-banner';
const OFFENDING_CLASS = 'jp-bighead-offending';

/** Remove an earlier banner and offending-cell marks from the panel. */
function clear(panel: NotebookPanel): void {
  for (const widget of [...panel.contentHeader.widgets]) {
    if (widget.hasClass(BANNER_CLASS)) {
      widget.dispose();
    }
  }
  for (const cell of panel.content.widgets) {
    cell.removeClass(OFFENDING_CLASS);
  }
}

function banner(panel: NotebookPanel, kind: 'error' | 'success', build: (node: HTMLElement) => void): Widget {
  const widget = new Widget();
  widget.addClass(BANNER_CLASS);
  widget.addClass(`jp-bighead-banner-${kind}`);
  widget.node.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  build(widget.node);
  const close = document.createElement('button');
  close.className = 'jp-bighead-banner-close';
  close.textContent = '×';
  close.title = 'Dismiss';
  close.setAttribute('aria-label', 'Dismiss');
  close.onclick = () => clear(panel);
  widget.node.appendChild(close);
  panel.contentHeader.addWidget(widget);
  // The header is a Lumino BoxPanel that sizes children from their CSS min-height:
  // give the banner the height of its content (capped) and ask the panel to re-fit.
  requestAnimationFrame(() => {
    const wanted = Math.min(widget.node.scrollHeight, Math.round(window.innerHeight * 0.4));
    widget.node.style.minHeight = `${wanted}px`;
    panel.contentHeader.fit();
  });
  return widget;
}

async function goToCell(panel: NotebookPanel, index: number): Promise<void> {
  const notebook = panel.content;
  const cell = notebook.widgets[index];
  if (!cell) {
    return;
  }
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  await notebook.scrollToCell(cell);
}

function showDependencyErrors(panel: NotebookPanel, message: string, report: IDependencyReport): void {
  banner(panel, 'error', node => {
    const title = document.createElement('strong');
    title.textContent = 'Productionize stopped: production cells depend on prototype cells.';
    node.appendChild(title);
    const list = document.createElement('ul');
    list.className = 'jp-bighead-offenses';
    for (const offense of report.offenses) {
      const item = document.createElement('li');
      const link = document.createElement('button');
      link.className = 'jp-bighead-offense';
      link.dataset.cell = String(offense.cell);
      link.textContent = `Cell ${offense.cell + 1}: ${offense.first_line}`;
      link.title = 'Go to this cell';
      link.onclick = () => void goToCell(panel, offense.cell);
      const names = document.createElement('span');
      names.className = 'jp-bighead-offense-names';
      names.textContent = ` uses ${offense.names.join(', ')} — ${offense.reasons.join('; ')}`;
      item.append(link, names);
      list.appendChild(item);
      panel.content.widgets[offense.cell]?.addClass(OFFENDING_CLASS);
    }
    node.appendChild(list);
    if (report.offenses.length === 0) {
      const text = document.createElement('pre');
      text.textContent = message;
      node.appendChild(text);
    }
  });
}

export type { IPlan };

/** How Productionize reaches the server and the documents of the lab. */
export interface IProductionizeHost {
  /** The notebooks area of the API client. */
  client: NotebooksClient;
  /** Open `path` in the lab, or reveal its tab when it is open. */
  open: (path: string) => Promise<unknown>;
  /** The notebook already open at `path`, if any. */
  findOpen: (path: string) => NotebookPanel | undefined;
}

/** Ask before replacing files a person edited; true to go on. */
export async function confirmReplace(files: string[]): Promise<boolean> {
  const body = document.createElement('div');
  const intro = document.createElement('p');
  intro.textContent =
    'Productionize writes these files again, and they were changed since it last ' +
    'wrote them. Your changes to them will be lost:';
  const list = document.createElement('ul');
  for (const file of files) {
    const item = document.createElement('li');
    item.textContent = file;
    list.appendChild(item);
  }
  body.append(intro, list);
  const answer = await showDialog({
    title: 'Replace the edited production files?',
    body: new Widget({ node: body }),
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Replace' })]
  });
  return answer.button.accept;
}

/**
 * Productionize the notebook in `panel`. Returns the result, or null when it failed
 * (the failure is shown inline in the notebook).
 *
 * Outputs that exist are replaced without a question when Productionize (or Run
 * remotely) wrote them; only files edited since, whose content would change, are
 * listed in a dialog first. The source notebook stays in front with the result
 * banner; a production notebook that is already open is reloaded from disk.
 */
export async function productionize(
  panel: NotebookPanel,
  host: IProductionizeHost
): Promise<IProductionResult | null> {
  clear(panel);
  if (panel.context.model.dirty) {
    await panel.context.save();
  }
  const path = panel.context.path;
  const call = (force: boolean): Promise<IProductionResult> => host.client.productionize(path, force);
  try {
    const plan = await host.client.plan(path);
    if (plan.overwrites.length > 0 && !(await confirmReplace(plan.overwrites))) {
      return null;
    }
    let result: IProductionResult;
    try {
      result = await call(plan.outputs.length > 0);
    } catch (error) {
      // Outputs that appeared since the plan was made (another tab, the CLI).
      if (!(error instanceof BigheadRequestError && error.code === 'conflict' && plan.outputs.length === 0)) {
        throw error;
      }
      const folder = PathExt.join(PathExt.dirname(path), `${PathExt.basename(path, '.ipynb')}_production`);
      if (!(await confirmReplace([`${folder}/`]))) {
        return null;
      }
      result = await call(true);
    }
    const reopened = host.findOpen(result.notebook);
    if (reopened) {
      // Its tab shows the old content: load what was just written.
      await reopened.context.revert();
    }
    banner(panel, 'success', node => {
      const text = document.createElement('span');
      text.textContent =
        `Production notebook written to ${result.notebook} and module to ${result.module} ` +
        `(${result.removed_cells.length} prototype cell(s) removed).`;
      node.appendChild(text);
      const actions = document.createElement('div');
      actions.className = 'jp-bighead-banner-actions';
      for (const [label, target] of [
        ['Open production notebook', result.notebook],
        ['Open module', result.module]
      ]) {
        const button = document.createElement('button');
        button.className = 'jp-mod-styled';
        button.textContent = label;
        button.onclick = () => void host.open(target);
        actions.appendChild(button);
      }
      node.appendChild(actions);
      for (const warning of result.warnings) {
        const w = document.createElement('div');
        w.className = 'jp-bighead-warning';
        w.textContent = warning;
        node.appendChild(w);
      }
    });
    return result;
  } catch (error) {
    if (error instanceof BigheadRequestError && error.code === 'dependency_error') {
      showDependencyErrors(panel, error.message, error.details as IDependencyReport);
    } else {
      const message = errorText(error);
      banner(panel, 'error', node => {
        const title = document.createElement('strong');
        title.textContent = 'Productionize failed: ';
        const text = document.createElement('span');
        text.textContent = message;
        node.append(title, text);
      });
      Notification.error(`Productionize failed: ${message}`, { autoClose: 5000 });
    }
    return null;
  }
}
