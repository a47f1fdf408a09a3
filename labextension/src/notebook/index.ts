/**
 * The notebook side of Bighead: prototype cells and Productionize.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { BigheadClient } from '../api';
import { bigheadIcon } from '../icons';
import { CommandIDs, IBigheadModels } from '../tokens';
import { listenToKernel } from './comm';
import { isPrototype, selectedCells, togglePrototype, trackPrototypeCells } from './prototype';
import { productionize } from './productionize';
import { openReport } from './report';
import { runRemotely } from './remote';

/**
 * Add the notebook commands. `areas`, when the sidebar's plugin provides them, are
 * told about changes made here (a job submitted by Run remotely).
 */
export function setupNotebookTools(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  palette: ICommandPalette | null,
  client: BigheadClient,
  areas: IBigheadModels | null
): void {
  const setup = (panel: NotebookPanel): void => {
    trackPrototypeCells(panel);
    listenToKernel(panel, (action, data) => {
      if (action === 'open_model' && typeof data.name === 'string') {
        void app.commands.execute(CommandIDs.openModel, { name: data.name, version: Number(data.version) });
      }
    });
  };
  tracker.widgetAdded.connect((_, panel) => setup(panel));
  tracker.forEach(setup);

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
    execute: () => {
      const notebook = tracker.currentWidget?.content;
      if (notebook) {
        togglePrototype(notebook);
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
      return productionize(panel, {
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
      return panel ? openReport(app, client.notebooks, panel) : null;
    }
  });

  app.commands.addCommand(CommandIDs.runRemotely, {
    label: 'Run remotely',
    caption: caption('Productionize this notebook and run it as a job on a compute profile'),
    isEnabled: () => hasNotebook() && mayWrite(),
    execute: async () => {
      const panel = tracker.currentWidget;
      return panel
        ? runRemotely(client, panel, () => {
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
