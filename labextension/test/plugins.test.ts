// @vitest-environment jsdom
/**
 * The plugins and their Lumino tokens: the client and the area models are services
 * other plugins require, and the sidebar and notebook tools are built on them.
 */
import { CommandRegistry } from '@lumino/commands';
import { PluginRegistry } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';
import { describe, expect, it, vi } from 'vitest';

// The notebook package does not load outside a browser; the plugins need only its
// tracker token (and NotebookActions when a command runs, which none does here).
vi.mock('@jupyterlab/notebook', async () => {
  const { Token } = await import('@lumino/coreutils');
  return { INotebookTracker: new Token('@jupyterlab/notebook:INotebookTracker'), NotebookActions: {} };
});

import { INotebookTracker } from '@jupyterlab/notebook';
import plugins from '../src/index';
import { BigheadClient, Requester } from '../src/api';
import { CommandIDs, IBigheadClient, IBigheadModels } from '../src/tokens';

function fakeApp(): { commands: CommandRegistry; shell: object; added: string[]; restored: Promise<void> } {
  const added: string[] = [];
  return {
    commands: new CommandRegistry(),
    // the layout restored at once: what the plugins defer to it runs right after activation
    restored: Promise.resolve(),
    shell: {
      add: (widget: { id: string }) => added.push(widget.id),
      widgets: () => [],
      activateById: () => undefined
    },
    added
  };
}

describe('the plugins', () => {
  it('provide the client and the areas, and build the sidebar and notebook tools on them', async () => {
    const urls: string[] = [];
    const request: Requester = async <T>(url: string): Promise<T> => {
      urls.push(url);
      return { version: '9.9', home: '/h', stores: {}, executor: 'local' } as T;
    };
    const app = fakeApp();
    const registry = new PluginRegistry();
    registry.application = app;
    // A plugin may swap the client: the stub answers every call here.
    registry.registerPlugins([
      ...plugins.filter(p => p.id !== 'jupyter-bighead:client'),
      {
        id: 'test:client',
        autoStart: true,
        provides: IBigheadClient,
        activate: () => new BigheadClient(request)
      },
      {
        id: 'test:notebooks',
        autoStart: true,
        provides: INotebookTracker,
        activate: () => ({ widgetAdded: new Signal(this), forEach: () => undefined, currentWidget: null })
      }
    ]);
    await registry.activatePlugins('startUp');

    expect(registry.isPluginActivated('jupyter-bighead:plugin')).toBe(true);
    expect(registry.isPluginActivated('jupyter-bighead:notebook')).toBe(true);
    const areas = await registry.resolveRequiredService(IBigheadModels);
    const client = await registry.resolveRequiredService(IBigheadClient);
    expect(areas.client).toBe(client);
    // started after the restore; the notebook tools' chunk is imported then
    await vi.waitFor(() => expect(areas.poller.running).toBe(true));
    await vi.waitFor(() => expect(app.commands.hasCommand(CommandIDs.productionize)).toBe(true));
    await areas.status.refresh();
    expect(areas.status.status?.version).toBe('9.9');
    expect(urls).toContain('status');
    expect(app.added).toContain('bighead-sidebar');
    for (const id of [CommandIDs.openPanel, CommandIDs.refresh, CommandIDs.openModel, CommandIDs.runRemotely, CommandIDs.productionize]) {
      expect(app.commands.hasCommand(id)).toBe(true);
    }
    areas.poller.stop();
  });

  it('let a plugin tell the Jobs area about a job it submitted', async () => {
    const registry = new PluginRegistry();
    registry.application = fakeApp();
    let jobReads = 0;
    const request: Requester = async <T>(url: string): Promise<T> => {
      jobReads += url.startsWith('jobs') ? 1 : 0;
      return { items: [] } as T;
    };
    registry.registerPlugins([
      ...plugins.filter(p => p.id === 'jupyter-bighead:models'),
      { id: 'test:client', autoStart: true, provides: IBigheadClient, activate: () => new BigheadClient(request) }
    ]);
    await registry.activatePlugins('startUp');
    const areas = await registry.resolveRequiredService(IBigheadModels);
    await vi.waitFor(() => expect(areas.poller.running).toBe(true));
    areas.poller.stop();
    const watch = areas.jobs.watch();
    await areas.jobs.refresh();
    const before = jobReads;
    let told = 0;
    areas.jobs.invalidated.connect(() => told++);
    await areas.jobs.invalidate();
    expect([told, jobReads - before]).toEqual([1, 1]);
    watch.dispose();
  });
});
