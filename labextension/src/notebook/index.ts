/**
 * The notebook side of Bighead (a chunk imported after the restore or by a command's
 * first run): prototype cells, Productionize, the reviewer report, Run remotely.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { CommandIDs } from '../tokens';
import { listenToKernel } from './comm';
import { togglePrototype, trackPrototypeCells } from './prototype';
import { productionize } from './productionize';
import { openReport } from './report';
import { runRemotely } from './remote';

export { togglePrototype, productionize, openReport, runRemotely };

/**
 * What each notebook gets once the lab is restored: its prototype cells marked, and the
 * kernel's requests (open a model) heard. The commands are `commands.ts`'s, registered
 * at activation.
 */
export function setupNotebookTools(app: JupyterFrontEnd, tracker: INotebookTracker): void {
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
}
