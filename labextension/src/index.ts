/**
 * jupyter-bighead: the JupyterLab frontend.
 *
 * Four plugins: the typed API client (`IBigheadClient`), the area models with their
 * one poller (`IBigheadModels`), the sidebar with the model panels, and the notebook
 * tools. Other plugins may require the two tokens, e.g. to tell the Jobs area that
 * they submitted a job.
 *
 * Activation is kept cheap so that it adds next to nothing to the lab's start: the tokens
 * are provided at once, the sidebar is a shell (what the layout restorer needs), and the
 * sections, the model view, the review tab, the notebook tools and the notifiers are
 * chunks imported after `app.restored` (or when a command first needs them); the poller
 * starts then too.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { BigheadClient } from './api';
import { bigheadIcon } from './icons';
import {
  addLazyOpenReviewCommand,
  afterRestore,
  lazyNewsPlugin,
  loadAlerts,
  loadModelView,
  loadNotebookTools,
  OPEN_REVIEW_COMMAND
} from './lazy';
import { insertCodeBelow } from './notebook/comm';
import { addNotebookCommands } from './notebook/commands';
import { BigheadSidebarShell } from './shell';
import { BigheadModels } from './state';
import { CommandIDs, IBigheadClient, IBigheadModels, PLUGIN_ID } from './tokens';

const clientPlugin: JupyterFrontEndPlugin<BigheadClient> = {
  id: 'jupyter-bighead:client',
  description: 'The typed client of the Bighead REST API.',
  autoStart: true,
  provides: IBigheadClient,
  activate: (): BigheadClient => new BigheadClient()
};

const modelsPlugin: JupyterFrontEndPlugin<IBigheadModels> = {
  id: 'jupyter-bighead:models',
  description: 'The Bighead areas (models, features, jobs, deployments, blocks, status) and their one poller.',
  autoStart: true,
  requires: [IBigheadClient],
  provides: IBigheadModels,
  activate: (app: JupyterFrontEnd, client: BigheadClient): IBigheadModels => {
    const models = new BigheadModels(client);
    // One poller for every area: changes made elsewhere show up without a click. It
    // starts once the layout is restored, so that its first reads do not compete with it.
    afterRestore(app, 'the poller', () => models.poller.start());
    return models;
  }
};

const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The Bighead sidebar: the ML platform inside JupyterLab.',
  autoStart: true,
  requires: [IBigheadModels],
  optional: [ILayoutRestorer, ICommandPalette, ISettingRegistry, INotebookTracker, IRenderMimeRegistry],
  activate: (
    app: JupyterFrontEnd,
    areas: IBigheadModels,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    notebooks: INotebookTracker | null,
    rendermime: IRenderMimeRegistry | null
  ): void => {
    const openModel = async (name: string, version?: number): Promise<void> => {
      const { ModelPanel } = await loadModelView();
      const id = `bighead-model-${name}`;
      for (const widget of app.shell.widgets('main')) {
        if (widget.id === id) {
          widget.dispose();
        }
      }
      const panel = new ModelPanel(
        name,
        {
          areas,
          rendermime,
          openPath: path => void app.commands.execute('docmanager:open', { path })
        },
        version
      );
      app.shell.add(panel, 'main');
      app.shell.activateById(panel.id);
    };
    app.commands.addCommand(CommandIDs.openModel, {
      label: 'Open a registered model',
      execute: args => openModel(String(args.name), args.version === undefined ? undefined : Number(args.version))
    });
    const insertCode = (code: string): string | null => {
      const panel = notebooks?.currentWidget;
      if (!panel) {
        return 'Open a notebook first: the snippet goes below its active cell.';
      }
      insertCodeBelow(panel, code);
      app.shell.activateById(panel.id);
      return `Inserted into ${panel.context.path}.`;
    };
    const sidebar = new BigheadSidebarShell(
      areas,
      {
        openModel: name => void openModel(name),
        openPath: path => void app.commands.execute('docmanager:open', { path }),
        insertCode,
        openReview: id => void app.commands.execute(OPEN_REVIEW_COMMAND, { id })
      },
      app.restored
    );
    addLazyOpenReviewCommand(app, areas);
    app.shell.add(sidebar, 'left', { rank: 650 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Open the Bighead panel',
      icon: bigheadIcon,
      execute: () => app.shell.activateById(sidebar.id)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Bighead status',
      execute: () => areas.status.refresh()
    });
    if (palette) {
      palette.addItem({ command: CommandIDs.openPanel, category: 'Bighead' });
      palette.addItem({ command: CommandIDs.refresh, category: 'Bighead' });
    }

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = (): void => {
            areas.status.pollSeconds = settings.get('statusRefreshSeconds').composite as number;
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => console.error('jupyter-bighead: could not load settings', reason));
    }
    void areas.status.refresh();
  }
};

const notebookPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-bighead:notebook',
  description: 'Bighead in notebooks: prototype cells, Productionize, reviewer reports, Run remotely.',
  autoStart: true,
  requires: [INotebookTracker, IBigheadClient],
  optional: [ICommandPalette, IBigheadModels],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    client: BigheadClient,
    palette: ICommandPalette | null,
    areas: IBigheadModels | null
  ): void => {
    // The commands now, for the toolbar of a notebook opened during the page load; the
    // code they run (and the prototype-cell marks) after the restore.
    addNotebookCommands(app, notebooks, palette, client, areas, loadNotebookTools);
    afterRestore(app, 'the notebook tools', async () =>
      (await loadNotebookTools()).setupNotebookTools(app, notebooks)
    );
  }
};

const alertsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-bighead:alerts',
  description: "Monitoring alerts of the user's models in JupyterLab's notification center, once each.",
  autoStart: true,
  requires: [IBigheadModels],
  activate: (app: JupyterFrontEnd, areas: IBigheadModels): void => {
    afterRestore(app, 'the alert notifier', async () => startAlerts(app, areas));
  }
};

/** Show the user's monitoring alerts in the notification center (once each). */
async function startAlerts(app: JupyterFrontEnd, areas: IBigheadModels): Promise<void> {
  const { AlertNotifier, alertText } = await loadAlerts();
  const notifier = new AlertNotifier({
    alerts: query => areas.client.monitoring.alerts(query),
    storage: typeof localStorage === 'undefined' ? null : localStorage,
    notify: alert => {
      Notification.warning(alertText(alert), {
        autoClose: false,
        actions: [
          {
            label: 'Open model',
            callback: () =>
              void app.commands.execute(CommandIDs.openModel, {
                name: alert.model,
                ...(alert.version !== undefined ? { version: alert.version } : {})
              })
          }
        ]
      });
    }
  });
  areas.poller.add(notifier, { immediate: true });
}

export default [clientPlugin, modelsPlugin, sidebarPlugin, notebookPlugin, alertsPlugin, lazyNewsPlugin];
