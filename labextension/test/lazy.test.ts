// @vitest-environment jsdom
/**
 * Lazy loading (issue 18): activating the plugins runs none of the UI code before the
 * lab's layout is restored; the sidebar shell draws its sections once restored and
 * shown; commands that open a tab import its chunk when run.
 */
import { PromiseDelegate, PluginRegistry } from '@lumino/coreutils';
import { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { describe, expect, it, vi } from 'vitest';

vi.mock('@jupyterlab/notebook', async () => {
  const { Token } = await import('@lumino/coreutils');
  return { INotebookTracker: new Token('@jupyterlab/notebook:INotebookTracker'), NotebookActions: {} };
});

import { INotebookTracker } from '@jupyterlab/notebook';
import plugins from '../src/index';
import { BigheadClient, Requester } from '../src/api';
import { lazyNewsPlugin, once, OPEN_REVIEW_COMMAND } from '../src/lazy';
import { newsPlugin } from '../src/notify/plugin';
import { OPEN_REVIEW_COMMAND as REAL_OPEN_REVIEW } from '../src/reviews/open';
import { BigheadSidebarShell } from '../src/shell';
import { BigheadModels } from '../src/state';
import { CommandIDs, IBigheadClient, IBigheadModels, SIDEBAR_ID } from '../src/tokens';

// ReactWidget renders in an idle callback, which jsdom lacks.
const idle = globalThis as { requestIdleCallback?: (cb: () => void) => number };
idle.requestIdleCallback ??= (cb: () => void): number => setTimeout(cb, 0) as unknown as number;

const request: Requester = async <T>(): Promise<T> => ({ items: [] }) as T;
const actions = {
  openModel: () => undefined,
  openPath: () => undefined,
  insertCode: () => null,
  openReview: () => undefined
};

describe('plugin activation', () => {
  it('defers the poller and the notebook tools to the restore, and provides the tokens at once', async () => {
    const restored = new PromiseDelegate<void>();
    const added: Widget[] = [];
    const app = {
      commands: new CommandRegistry(),
      restored: restored.promise,
      shell: { add: (w: Widget) => added.push(w), widgets: () => [], activateById: () => undefined }
    };
    const registry = new PluginRegistry();
    registry.application = app;
    registry.registerPlugins([
      ...plugins.filter(p => p.id !== 'jupyter-bighead:client'),
      { id: 'test:client', autoStart: true, provides: IBigheadClient, activate: () => new BigheadClient(request) },
      {
        id: 'test:notebooks',
        autoStart: true,
        provides: INotebookTracker,
        activate: () => ({ widgetAdded: new Signal({}), forEach: () => undefined, currentWidget: null })
      }
    ]);
    await registry.activatePlugins('startUp');
    const areas = await registry.resolveRequiredService(IBigheadModels);

    // before the restore: the tokens, the sidebar shell, the commands that open tabs and
    // the notebook commands (a notebook opened during the page load builds its toolbar
    // from them at once); the code they run is not loaded yet
    expect(areas.status).toBeDefined();
    expect(added.map(w => w.id)).toEqual([SIDEBAR_ID]);
    const shell = added[0] as BigheadSidebarShell;
    expect(shell.loaded).toBe(false);
    for (const id of [
      CommandIDs.openPanel,
      CommandIDs.openModel,
      OPEN_REVIEW_COMMAND,
      CommandIDs.productionize,
      CommandIDs.report,
      CommandIDs.runRemotely,
      CommandIDs.togglePrototype
    ]) {
      expect(app.commands.hasCommand(id)).toBe(true);
    }
    expect(app.commands.label(CommandIDs.runRemotely)).toBe('Run remotely');
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(areas.poller.running).toBe(false);

    restored.resolve();
    await vi.waitFor(() => expect(areas.poller.running).toBe(true));
    // the shell was never shown: its sections are still not loaded
    expect(shell.loaded).toBe(false);
    areas.poller.stop();
  });

  it('keeps the lazy news plugin and the open-review command identical to the loaded ones', () => {
    expect([lazyNewsPlugin.id, lazyNewsPlugin.description, lazyNewsPlugin.requires]).toEqual([
      newsPlugin.id,
      newsPlugin.description,
      newsPlugin.requires
    ]);
    expect(OPEN_REVIEW_COMMAND).toBe(REAL_OPEN_REVIEW);
  });
});

describe('the sidebar shell', () => {
  const flush = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 0));

  it('loads its sections only once restored and shown, once', async () => {
    const ready = new PromiseDelegate<void>();
    let loads = 0;
    const Content = (): null => null;
    const shell = new BigheadSidebarShell(new BigheadModels(new BigheadClient(request)), actions, ready.promise, async () => {
      loads++;
      return { SidebarContent: Content as never };
    });
    Widget.attach(shell, document.body);
    expect(shell.isVisible).toBe(true);
    await flush();
    expect(loads).toBe(0);
    ready.resolve();
    await vi.waitFor(() => expect(shell.loaded).toBe(true));
    shell.hide();
    shell.show();
    await flush();
    expect(loads).toBe(1);
    expect(shell.id).toBe(SIDEBAR_ID);
    shell.dispose();
  });

  it('waits until shown when restored hidden, and says so when the chunk fails', async () => {
    let loads = 0;
    const shell = new BigheadSidebarShell(new BigheadModels(new BigheadClient(request)), actions, Promise.resolve(), async () => {
      loads++;
      throw new Error('chunk 404');
    });
    shell.hide();
    Widget.attach(shell, document.body);
    await flush();
    expect(loads).toBe(0);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    shell.show();
    await vi.waitFor(() => expect(shell.node.textContent).toContain('could not be loaded: Error: chunk 404'));
    expect([loads, shell.loaded]).toEqual([1, false]);
    errors.mockRestore();
    shell.dispose();
  });
});

describe('once', () => {
  it('imports once, and again after a failure', async () => {
    let calls = 0;
    const load = once(async () => {
      calls++;
      if (calls === 1) {
        throw new Error('offline');
      }
      return calls;
    });
    await expect(load()).rejects.toThrow('offline');
    await flushMicrotasks();
    expect(await load()).toBe(2);
    expect(await load()).toBe(2);
    expect(calls).toBe(2);
  });
});

function flushMicrotasks(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 0));
}
