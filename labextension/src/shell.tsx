/**
 * The Bighead sidebar's shell: the left-sidebar widget JupyterLab's layout restorer
 * needs at start (its id, icon and title), without the sections. Those live in their
 * own chunk (`./sidebar`), imported once the layout is restored and the panel is shown,
 * so that restoring the lab never waits for our UI code.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { bigheadIcon } from './icons';
import type { SidebarContent } from './sidebar';
import { IBigheadModels, SIDEBAR_ID } from './tokens';

/** What the sections can ask of the lab. */
export interface ISidebarActions {
  openModel: (name: string) => void;
  openPath: (path: string) => void;
  /** Insert a snippet in the current notebook; the message to show, or null. */
  insertCode: (code: string) => string | null;
  openReview: (id: string) => void;
}

/** Import the sections' chunk: a function, so that tests can stand in for it. */
export type ContentLoader = () => Promise<{ SidebarContent: typeof SidebarContent }>;

const loadSections: ContentLoader = () => import(/* webpackChunkName: "bighead-sidebar" */ './sidebar');

/**
 * The sidebar widget. Its sections are drawn once `whenReady` resolved (the lab's
 * `restored`) and the panel is shown; until then it shows the panel's title only.
 */
export class BigheadSidebarShell extends ReactWidget {
  private _content: typeof SidebarContent | null = null;
  private _loading: Promise<void> | null = null;
  private _error: string | null = null;
  private _ready = false;

  constructor(
    readonly models: IBigheadModels,
    private readonly actions: ISidebarActions,
    whenReady: Promise<unknown>,
    private readonly loader: ContentLoader = loadSections
  ) {
    super();
    this.id = SIDEBAR_ID;
    this.addClass('jp-bighead-sidebar');
    this.title.icon = bigheadIcon;
    this.title.caption = 'Bighead';
    this.title.label = '';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Bighead');
    void whenReady.then(() => {
      this._ready = true;
      if (this.isVisible) {
        void this.load();
      }
    });
  }

  /** Whether the sections are drawn. */
  get loaded(): boolean {
    return this._content !== null;
  }

  /** Import the sections (once) and draw them; resolves when drawn or failed. */
  load(): Promise<void> {
    if (!this._loading) {
      this._loading = this.loader().then(
        module => {
          this._content = module.SidebarContent;
          this.update();
        },
        (reason: unknown) => {
          console.error('jupyter-bighead: could not load the sidebar', reason);
          this._error = `The Bighead panel could not be loaded: ${String(reason)}. Reload the page to retry.`;
          this.update();
        }
      );
    }
    return this._loading;
  }

  protected onAfterShow(): void {
    if (this._ready) {
      void this.load();
    }
  }

  protected render(): JSX.Element {
    const Content = this._content;
    if (Content) {
      return <Content models={this.models} {...this.actions} />;
    }
    return (
      <div className="jp-bighead-sidebar-content" aria-busy={this._error === null}>
        <header className="jp-bighead-title">
          <bigheadIcon.react tag="span" className="jp-bighead-title-icon" />
          <h2>Bighead</h2>
        </header>
        {this._error && <p className="jp-bighead-error">{this._error}</p>}
      </div>
    );
  }
}
