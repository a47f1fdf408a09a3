/**
 * Deploy a model version from the Models panel: a dialog for the target, the
 * version or alias, replicas and resources (prefilled from the pipeline), then the
 * endpoint's status and URL, and a "try it" box that sends an example request built
 * from the input schema through the server (`deployments/{id}/predict`).
 */
import * as React from 'react';

import { ProfilePicker } from '../admin/picker';
import { BigheadClient } from '../api';
import { IDeployment, IDeployRequest } from '../api/deployments';
import { errorText } from '../api/request';
import { useArea, usePoll, useSignal } from '../core/react';
import { gate, IPermit } from '../status/permissions';
import { IBigheadModels } from '../tokens';
import { DONE_STATUSES } from './model';

export interface IDeployInput {
  name: string;
  dtype: string;
  required?: boolean;
}

/** An example value for a column of `dtype`. */
export function exampleValue(dtype: string): unknown {
  const d = dtype.toLowerCase();
  if (d.startsWith('float') || d === 'double' || d === 'number') {
    return 0.5;
  }
  if (d.startsWith('int') || d.startsWith('uint')) {
    return 1;
  }
  if (d.startsWith('bool')) {
    return false;
  }
  if (d.startsWith('datetime') || d.startsWith('timestamp')) {
    return new Date().toISOString().slice(0, 19);
  }
  return 'a';
}

/** A KServe v1 request with one instance holding an example of every column. */
export function exampleRequest(inputs: IDeployInput[]): string {
  const row: { [column: string]: unknown } = {};
  for (const col of inputs) {
    if (col.required !== false) {
      row[col.name] = exampleValue(col.dtype);
    }
  }
  return JSON.stringify({ instances: [row] }, null, 2);
}

function TryIt(props: { client: BigheadClient; deployment: IDeployment; inputs: IDeployInput[] }): JSX.Element {
  const [body, setBody] = React.useState(() => exampleRequest(props.inputs));
  const [response, setResponse] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const send = async (): Promise<void> => {
    setResponse(null);
    setError(null);
    try {
      const out = await props.client.deployments.predict(props.deployment.id, body);
      setResponse(JSON.stringify(out, null, 2));
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div className="jp-bighead-tryit" data-testid="deploy-tryit">
      <h5>Try it</h5>
      <textarea
        className="jp-mod-styled jp-bighead-snippet"
        aria-label="Request body"
        rows={Math.min(16, body.split('\n').length + 1)}
        value={body}
        onChange={e => setBody(e.target.value)}
      />
      <button className="jp-mod-styled jp-mod-accept" data-action="send-request" onClick={() => void send()}>
        Send
      </button>
      {response !== null && (
        <pre className="jp-bighead-snippet" data-testid="deploy-response">
          {response}
        </pre>
      )}
      {error && (
        <div className="jp-bighead-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

function Endpoint(props: {
  client: BigheadClient;
  deployment: IDeployment;
  inputs: IDeployInput[];
  onStop: () => void;
  /** Whether the user may stop it (its owner, or an admin). */
  mayStop: IPermit;
}): JSX.Element {
  const d = props.deployment;
  return (
    <div className="jp-bighead-endpoint" data-testid="deploy-endpoint" data-status={d.status}>
      <dl className="jp-bighead-status">
        <dt>Deployment</dt>
        <dd>{d.id}</dd>
        <dt>Serving</dt>
        <dd>
          {d.model} {d.alias ? `@${d.alias}` : ''} v{d.version ?? '?'} on {d.target}
        </dd>
        <dt>Status</dt>
        <dd data-field="deploy-status">{d.status}</dd>
        <dt>URL</dt>
        <dd data-field="deploy-url">{d.url ?? '—'}</dd>
        {d.reason && (
          <>
            <dt>Reason</dt>
            <dd>{d.reason}</dd>
          </>
        )}
      </dl>
      {d.status !== 'stopped' && (
        <button className="jp-mod-styled" onClick={props.onStop} {...gate(props.mayStop)}>
          Stop
        </button>
      )}
      {d.status === 'running' && <TryIt client={props.client} deployment={d} inputs={props.inputs} />}
    </div>
  );
}

export function DeploySection(props: {
  areas: IBigheadModels;
  name: string;
  version: number;
  aliases: string[];
  resources: { [resource: string]: unknown } | null;
  inputs: IDeployInput[];
}): JSX.Element {
  const [open, setOpen] = React.useState(false);
  const [target, setTarget] = React.useState('local');
  const [serve, setServe] = React.useState<string>(`v${props.version}`);
  const [replicas, setReplicas] = React.useState(1);
  const [cpu, setCpu] = React.useState(String(props.resources?.cpu ?? ''));
  const [memory, setMemory] = React.useState(String(props.resources?.memory ?? ''));
  const [gpu, setGpu] = React.useState(String(props.resources?.gpu ?? '0'));
  const [deployment, setDeployment] = React.useState<IDeployment | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);

  const { client, deployments, poller, status } = props.areas;
  // Deploying needs the write permission: without it the buttons are disabled and say why.
  useSignal(status.changed);
  const mayDeploy = status.permit('write', 'Deploy');

  // The endpoint shown follows changes made elsewhere (the sidebar's Stop, the CLI):
  // the deployments of this version are read again on every refresh of the area, and
  // one that is gone was stopped. Without one shown yet, a live endpoint of this
  // version is.
  useArea(deployments);
  const listed = deployments.data;
  const listError = deployments.error;
  React.useEffect(() => {
    if (listError !== null) {
      setError(listError.message);
    }
  }, [listError]);
  React.useEffect(() => {
    if (listed === null) {
      return;
    }
    const items = listed.filter(d => d.model === props.name && d.version === props.version);
    setDeployment(cur => {
      if (cur === null) {
        return items.find(d => d.status !== 'stopped') ?? null;
      }
      const now = items.find(d => d.id === cur.id);
      if (now) {
        return JSON.stringify(now) === JSON.stringify(cur) ? cur : now;
      }
      return cur.status === 'stopped' ? cur : { ...cur, status: 'stopped', url: null };
    });
  }, [listed, props.name, props.version]);

  // An endpoint on its way up (or down) is read every second until it settles.
  const pending = deployment !== null && !DONE_STATUSES.has(deployment.status) ? deployment.id : null;
  usePoll(poller, pending === null ? 0 : 1, async () => {
    if (pending === null) {
      return;
    }
    try {
      setDeployment(await client.deployments.get(pending));
    } catch (err) {
      setError(errorText(err));
    }
  });

  const deploy = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    const resources: { [k: string]: unknown } = {};
    if (cpu) {
      resources.cpu = cpu;
    }
    if (memory) {
      resources.memory = memory;
    }
    if (gpu && gpu !== '0') {
      resources.gpu = Number(gpu);
    }
    const body: IDeployRequest = { model: props.name, target, replicas, resources };
    if (serve.startsWith('v')) {
      body.version = Number(serve.slice(1));
    } else {
      body.alias = serve;
    }
    try {
      setDeployment(await client.deployments.create(body));
      setOpen(false);
      void deployments.invalidate();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const stop = async (): Promise<void> => {
    if (!deployment) {
      return;
    }
    try {
      await client.deployments.stop(deployment.id);
      setDeployment({ ...deployment, status: 'stopped', url: null });
      void deployments.invalidate();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="jp-bighead-deploy">
      <button
        className="jp-mod-styled jp-mod-accept"
        data-action="open-deploy"
        onClick={() => setOpen(!open)}
        {...gate(mayDeploy)}
      >
        Deploy…
      </button>
      {open && (
        <form
          className="jp-bighead-deploy-dialog"
          role="dialog"
          aria-label="Deploy model"
          onSubmit={e => {
            e.preventDefault();
            void deploy();
          }}
        >
          <label>
            Target
            <select className="jp-mod-styled" aria-label="Target" value={target} onChange={e => setTarget(e.target.value)}>
              <option value="local">local process</option>
              <option value="kubernetes">Kubernetes</option>
            </select>
          </label>
          <label>
            Serve
            <select className="jp-mod-styled" aria-label="Serve" value={serve} onChange={e => setServe(e.target.value)}>
              <option value={`v${props.version}`}>version {props.version}</option>
              {['production', 'staging', ...props.aliases]
                .filter((a, i, all) => all.indexOf(a) === i)
                .map(a => {
                  // Serving a protected alias is an admin's (the server refuses others).
                  const user = status.user;
                  const shielded =
                    !!user?.team &&
                    (user.protected_aliases ?? []).includes(a) &&
                    !user.permissions.includes('admin');
                  return (
                    <option
                      key={a}
                      value={a}
                      disabled={shielded}
                      title={shielded ? `Deploying ${a} (protected) needs the role admin` : undefined}
                    >
                      alias {a} (follows it){shielded ? ' — admin only' : ''}
                    </option>
                  );
                })}
            </select>
          </label>
          <label>
            Replicas
            <input
              className="jp-mod-styled"
              type="number"
              min={1}
              aria-label="Replicas"
              value={replicas}
              onChange={e => setReplicas(Math.max(1, Number(e.target.value)))}
            />
          </label>
          <ProfilePicker
            client={client}
            onPick={p => {
              setCpu(p.cpu);
              setMemory(p.memory);
              setGpu(String(p.gpu));
            }}
          />
          <label>
            CPU
            <input className="jp-mod-styled" aria-label="CPU" value={cpu} onChange={e => setCpu(e.target.value)} />
          </label>
          <label>
            Memory
            <input className="jp-mod-styled" aria-label="Memory" value={memory} onChange={e => setMemory(e.target.value)} />
          </label>
          <label>
            GPU
            <input className="jp-mod-styled" aria-label="GPU" value={gpu} onChange={e => setGpu(e.target.value)} />
          </label>
          <button className="jp-mod-styled jp-mod-accept" type="submit" data-action="deploy" {...gate(mayDeploy, busy)}>
            {busy ? 'Deploying…' : 'Deploy'}
          </button>
        </form>
      )}
      {error && (
        <div className="jp-bighead-error" role="alert">
          {error}
        </div>
      )}
      {deployment && (
        <Endpoint
          client={client}
          deployment={deployment}
          inputs={props.inputs}
          onStop={() => void stop()}
          mayStop={status.permitOwner(deployment.user, 'Stopping the deployment')}
        />
      )}
    </div>
  );
}
