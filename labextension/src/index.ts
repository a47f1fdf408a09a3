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
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { bigheadIcon } from './icons';
import { BigheadModel } from './model';
import { setupNotebookTools } from './notebook';
import { BigheadSidebar } from './panels/sidebar';
import { CommandIDs, PLUGIN_ID } from './tokens';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The Bighead sidebar: the ML platform inside JupyterLab.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, ISettingRegistry, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    notebooks: INotebookTracker | null
  ): void => {
    const model = new BigheadModel();
    const sidebar = new BigheadSidebar(model);
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
  }
};

export default plugin;
