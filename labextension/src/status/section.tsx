/**
 * The Status section of the Bighead sidebar: version, home, stores and executor.
 */
import { refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { useSignal } from '../core/react';
import { StatusModel } from './model';

export function StatusSection(props: { model: StatusModel }): JSX.Element {
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
