/**
 * The notebook commands (Toggle prototype cell, Productionize, Open reviewer report, Run
 * remotely), registered when the plugin activates: the notebook toolbar, built as soon as
 * a notebook opens (during the page load, for one in the URL or the saved layout), finds
 * them. What they run is imported when first needed (`loadTools`), so the lab's start
 * still runs none of that code (issue 18).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';

import { BigheadClient } from '../api';
import { bigheadIcon } from '../icons';
import { CommandIDs, IBigheadModels } from '../tokens';
import { isPrototype, selectedCells } from './prototype';

/** What the commands run: the `notebook/index` chunk. */
export interface INotebookTools {
  togglePrototype: typeof import('./prototype').togglePrototype;
  productionize: typeof import('./productionize').productionize;
  openReport: typeof import('./report').openReport;
  runRemotely: typeof import('./remote').runRemotely;
}

export function addNotebookCommands(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  palette: ICommandPalette | null,
  client: BigheadClient,
  areas: IBigheadModels | null,
  loadTools: () => Promise<INotebookTools>
): void {
  const hasNotebook = (): boolean => tracker.currentWidget !== null;
  // What needs the write permission is disabled for a user without it, and its hover
  // (the command's caption) names the role that would allow it.
  const status = areas?.status ?? null;
  const mayWrite = (): boolean => status?.can('write') ?? true;
  const caption = (text: string) => (): string => {
    const reason = status?.permit('write').reason;
    return reason ? `${text}: ${reason}` : text;
  };
  const gated = [CommandIDs.productionize, CommandIDs.report, CommandIDs.runRemotely];
  status?.changed.connect(() => gated.forEach(id => app.commands.notifyCommandChanged(id)));

  app.commands.addCommand(CommandIDs.togglePrototype, {
    label: 'Toggle prototype cell',
    caption: 'Mark the selected cells as prototype (stripped by Productionize) or production',
    icon: bigheadIcon,
    isEnabled: hasNotebook,
    isToggled: () => {
      const notebook = tracker.currentWidget?.content;
      const cells = notebook ? selectedCells(notebook) : [];
      return cells.length > 0 && cells.every(cell => isPrototype(cell.model));
    },
    execute: async () => {
      const notebook = tracker.currentWidget?.content;
      if (notebook) {
        (await loadTools()).togglePrototype(notebook);
        app.commands.notifyCommandChanged(CommandIDs.togglePrototype);
      }
    }
  });

  app.commands.addCommand(CommandIDs.productionize, {
    label: 'Productionize',
    caption: caption('Strip prototype cells and write the production notebook and module'),
    isEnabled: () => hasNotebook() && mayWrite(),
    execute: async () => {
      const panel = tracker.currentWidget;
      if (!panel) {
        return null;
      }
      return (await loadTools()).productionize(panel, {
        client: client.notebooks,
        open: path => app.commands.execute('docmanager:open', { path }),
        findOpen: path => tracker.find(widget => widget.context.path === path)
      });
    }
  });

  app.commands.addCommand(CommandIDs.report, {
    label: 'Open reviewer report',
    caption: caption('Render the notebook as a self-contained HTML report for reviewers'),
    isEnabled: () => hasNotebook() && mayWrite(),
    execute: async () => {
      const panel = tracker.currentWidget;
      return panel ? (await loadTools()).openReport(app, client.notebooks, panel) : null;
    }
  });

  app.commands.addCommand(CommandIDs.runRemotely, {
    label: 'Run remotely',
    caption: caption('Productionize this notebook and run it as a job on a compute profile'),
    isEnabled: () => hasNotebook() && mayWrite(),
    execute: async () => {
      const panel = tracker.currentWidget;
      return panel
        ? (await loadTools()).runRemotely(client, panel, () => {
            void areas?.jobs.invalidate();
            void app.commands.execute(CommandIDs.openPanel);
          })
        : null;
    }
  });

  if (palette) {
    for (const command of [
      CommandIDs.togglePrototype,
      CommandIDs.productionize,
      CommandIDs.report,
      CommandIDs.runRemotely
    ]) {
      palette.addItem({ command, category: 'Bighead' });
    }
  }
}
