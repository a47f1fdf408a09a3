/**
 * The Bighead left-sidebar panel: platform status, then one section per part
 * of the platform (Models, Features, Jobs, Blocks) as they land.
 */
import { ReactWidget, UseSignal, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { bigheadIcon } from '../icons';
import { BigheadModel } from '../model';
import { BlocksSection } from './blocks';
import { DeploymentsSection } from './deployments';
import { FeaturesSection } from './features';
import { JobsSection } from './jobs';
import { ModelsSection } from './models';
import { SIDEBAR_ID } from '../tokens';


function StatusSection(props: { model: BigheadModel }): JSX.Element {
  const { model } = props;
  const status = model.status;
  const error = model.error;
  return (
    <section className="jp-bighead-section" aria-labelledby="jp-bighead-status-title">
      <header className="jp-bighead-section-header">
        <h3 id="jp-bighead-status-title">Status</h3>
        <button
          className="jp-bighead-icon-button"
          title="Refresh status"
          aria-label="Refresh status"
          onClick={() => void model.refresh()}
          disabled={model.loading}
        >
          <refreshIcon.react tag="span" />
        </button>
      </header>
      {model.loading && status === null && error === null && (
        <p className="jp-bighead-muted" role="status">
          Loading…
        </p>
      )}
      {error !== null && (
        <div className="jp-bighead-error" role="alert" data-error-code={error.code}>
          <strong>Bighead is unavailable.</strong> <span>{error.message}</span>
        </div>
      )}
      {status !== null && (
        <dl className="jp-bighead-status" data-testid="bighead-status">
          <dt>Version</dt>
          <dd data-field="version">{status.version}</dd>
          <dt>Home</dt>
          <dd data-field="home" title={status.home}>
            {status.home}
          </dd>
          <dt>Executor</dt>
          <dd data-field="executor">{status.executor}</dd>
          {Object.entries(status.stores).map(([name, location]) => (
            <React.Fragment key={name}>
              <dt>{name[0].toUpperCase() + name.slice(1)}</dt>
              <dd data-field={`store-${name}`} title={location}>
                {location}
              </dd>
            </React.Fragment>
          ))}
        </dl>
      )}
    </section>
  );
}

function SidebarContent(props: {
  model: BigheadModel;
  openModel: (name: string) => void;
  openPath: (path: string) => void;
  insertCode: (code: string) => string | null;
}): JSX.Element {
  return (
    <div className="jp-bighead-sidebar-content">
      <header className="jp-bighead-title">
        <bigheadIcon.react tag="span" className="jp-bighead-title-icon" />
        <h2>Bighead</h2>
      </header>
      <UseSignal signal={props.model.changed}>
        {() => <StatusSection model={props.model} />}
      </UseSignal>
      <ModelsSection onOpen={props.openModel} />
      <FeaturesSection />
      <JobsSection openPath={props.openPath} />
      <DeploymentsSection />
      <BlocksSection insertCode={props.insertCode} />
    </div>
  );
}

/** The sidebar widget. */
export class BigheadSidebar extends ReactWidget {
  constructor(
    readonly model: BigheadModel,
    private readonly openModel: (name: string) => void = () => undefined,
    private readonly openPath: (path: string) => void = () => undefined,
    private readonly insertCode: (code: string) => string | null = () => 'No notebook is open.'
  ) {
    super();
    this.id = SIDEBAR_ID;
    this.addClass('jp-bighead-sidebar');
    this.title.icon = bigheadIcon;
    this.title.caption = 'Bighead';
    this.title.label = '';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Bighead');
  }

  protected render(): JSX.Element {
    return (
      <SidebarContent
        model={this.model}
        openModel={this.openModel}
        openPath={this.openPath}
        insertCode={this.insertCode}
      />
    );
  }
}
