/**
 * jupyter-bighead: the JupyterLab frontend.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { bigheadIcon } from './icons';
import { BigheadModel } from './model';
import { setupNotebookTools } from './notebook';
import { insertCodeBelow } from './notebook/comm';
import { ModelPanel } from './panels/model';
import { BigheadSidebar } from './panels/sidebar';
import { hub } from './refresh';
import { CommandIDs, PLUGIN_ID } from './tokens';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The Bighead sidebar: the ML platform inside JupyterLab.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, ISettingRegistry, INotebookTracker, IRenderMimeRegistry],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    notebooks: INotebookTracker | null,
    rendermime: IRenderMimeRegistry | null
  ): void => {
    const model = new BigheadModel();
    const openModel = (name: string, version?: number): void => {
      const id = `bighead-model-${name}`;
      for (const widget of app.shell.widgets('main')) {
        if (widget.id === id) {
          widget.dispose();
        }
      }
      const panel = new ModelPanel(
        name,
        {
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
    const sidebar = new BigheadSidebar(
      model,
      name => openModel(name),
      path => void app.commands.execute('docmanager:open', { path }),
      insertCode
    );
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
      execute: () => model.refresh()
    });
    if (palette) {
      palette.addItem({ command: CommandIDs.openPanel, category: 'Bighead' });
      palette.addItem({ command: CommandIDs.refresh, category: 'Bighead' });
    }

    if (notebooks) {
      setupNotebookTools(app, notebooks, palette);
    }

    let timer: number | undefined;
    const schedule = (seconds: number): void => {
      if (timer !== undefined) {
        window.clearInterval(timer);
        timer = undefined;
      }
      if (seconds > 0) {
        timer = window.setInterval(() => void model.refresh(), seconds * 1000);
      }
    };
    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = (): void =>
            schedule(settings.get('statusRefreshSeconds').composite as number);
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => console.error('jupyter-bighead: could not load settings', reason));
    }
    void model.refresh();
    // One poller for every panel: changes made elsewhere show up without a click.
    hub.start();
  }
};

export default plugin;
