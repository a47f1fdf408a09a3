/**
 * The Status section of the Bighead sidebar: version, home, stores, executor and the
 * Dask cluster.
 */
import { refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { useArea, useSignal } from '../core/react';
import { ClusterModel } from './cluster';
import { StatusModel } from './model';

/** The Cluster line: the setting, a scheduler's workers and a link to its dashboard. */
export function ClusterLine(props: { model: ClusterModel }): JSX.Element {
  useArea(props.model);
  const model = props.model;
  const cluster = model.cluster;
  const error = model.error;
  return (
    <>
      <dt>Cluster</dt>
      <dd
        data-field="cluster"
        data-state={cluster?.state ?? (error ? 'error' : 'loading')}
        title={cluster?.message ?? error?.message ?? undefined}
      >
        {cluster !== null ? model.summary : error !== null ? 'unknown' : '…'}
        {cluster?.dashboard && (
          <>
            {' '}
            <a href={cluster.dashboard} target="_blank" rel="noopener noreferrer" data-field="cluster-dashboard">
              Dashboard
            </a>
          </>
        )}
      </dd>
    </>
  );
}

export function StatusSection(props: { model: StatusModel; cluster?: ClusterModel }): JSX.Element {
  const { model } = props;
  useSignal(model.changed);
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
          onClick={() => {
            void model.refresh();
            void props.cluster?.refresh();
          }}
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
          {props.cluster && <ClusterLine model={props.cluster} />}
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
