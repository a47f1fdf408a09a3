/**
 * "Run remotely": pick a compute profile and parameters, productionize, submit.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { BigheadClient } from '../api';
import { IJob, IProfile, ISubmitRequest } from '../api/jobs';
import { errorText } from '../api/request';
import { confirmReplace } from './productionize';

/** `name = value` lines of the notebook's `parameters` cell (values as source text). */
export function notebookParameters(panel: NotebookPanel): [string, string][] {
  const cells = panel.content.model?.cells;
  if (!cells) {
    return [];
  }
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    const tags = cell.getMetadata('tags');
    if (cell.type === 'code' && Array.isArray(tags) && tags.includes('parameters')) {
      const out: [string, string][] = [];
      for (const line of cell.sharedModel.getSource().split('\n')) {
        const match = /^([A-Za-z_]\w*)\s*(?::[^=]+)?=\s*(.+?)\s*(#.*)?$/.exec(line);
        if (match) {
          out.push([match[1], match[2]]);
        }
      }
      return out;
    }
  }
  return [];
}

class RunForm extends Widget {
  constructor(profiles: IProfile[], parameters: [string, string][]) {
    super();
    this.addClass('jp-bighead-run-form');
    const profile = document.createElement('select');
    profile.className = 'jp-mod-styled';
    profile.setAttribute('aria-label', 'Compute profile');
    for (const p of profiles) {
      const option = document.createElement('option');
      option.value = p.name;
      option.textContent = `${p.name} — ${p.cpu} CPU, ${p.memory}${p.gpu > 0 ? `, ${p.gpu} GPU` : ''}${
        p.description ? ` (${p.description})` : ''
      }`;
      profile.appendChild(option);
    }
    this._profile = profile;
    const label = document.createElement('label');
    label.textContent = 'Compute profile';
    label.appendChild(profile);
    this.node.appendChild(label);
    const schedule = document.createElement('input');
    schedule.className = 'jp-mod-styled';
    schedule.placeholder = 'optional cron, e.g. 0 3 * * * (UTC)';
    schedule.setAttribute('aria-label', 'Schedule');
    this._schedule = schedule;
    const scheduleLabel = document.createElement('label');
    scheduleLabel.textContent = 'Schedule (leave empty to run once now)';
    scheduleLabel.appendChild(schedule);
    this.node.appendChild(scheduleLabel);
    if (parameters.length > 0) {
      const title = document.createElement('h4');
      title.textContent = 'Parameters';
      this.node.appendChild(title);
    }
    for (const [name, value] of parameters) {
      const input = document.createElement('input');
      input.className = 'jp-mod-styled';
      input.value = value;
      input.setAttribute('aria-label', `Parameter ${name}`);
      input.dataset.default = value;
      const row = document.createElement('label');
      row.textContent = name;
      row.appendChild(input);
      this.node.appendChild(row);
      this._params.set(name, input);
    }
  }

  getValue(): { profile: string; schedule: string; parameters: { [name: string]: unknown } } {
    const parameters: { [name: string]: unknown } = {};
    for (const [name, input] of this._params) {
      if (input.value === input.dataset.default) {
        continue; // unchanged: the notebook's own default applies
      }
      try {
        parameters[name] = JSON.parse(input.value);
      } catch {
        parameters[name] = input.value.replace(/^['"]|['"]$/g, '');
      }
    }
    return { profile: this._profile.value, schedule: this._schedule.value.trim(), parameters };
  }

  private _profile: HTMLSelectElement;
  private _schedule: HTMLInputElement;
  private _params = new Map<string, HTMLInputElement>();
}

export async function runRemotely(
  client: BigheadClient,
  panel: NotebookPanel,
  onSubmitted: (job: IJob) => void
): Promise<IJob | null> {
  if (panel.context.model.dirty) {
    await panel.context.save();
  }
  let profiles: IProfile[];
  try {
    profiles = (await client.jobs.profiles()).profiles;
  } catch (error) {
    Notification.error(`Cannot list compute profiles: ${errorText(error)}`);
    return null;
  }
  // Submitting productionizes first: the same question as Productionize, only when a
  // production file edited by hand would be replaced. Asked before the form, so that
  // Submit submits at once.
  try {
    const plan = await client.notebooks.plan(panel.context.path);
    if (plan.overwrites.length > 0 && !(await confirmReplace(plan.overwrites))) {
      return null;
    }
  } catch (error) {
    Notification.error(`Cannot run ${panel.context.path}: ${errorText(error)}`);
    return null;
  }
  const form = new RunForm(profiles, notebookParameters(panel));
  const answer = await showDialog({
    title: `Run ${panel.context.path} remotely`,
    body: form,
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Submit' })]
  });
  if (!answer.button.accept || !answer.value) {
    return null;
  }
  const body: ISubmitRequest = {
    notebook: panel.context.path,
    profile: answer.value.profile,
    parameters: answer.value.parameters,
    productionize: true
  };
  if (answer.value.schedule) {
    try {
      const item = await client.jobs.createSchedule({ ...body, schedule: answer.value.schedule });
      Notification.success(`Scheduled ${item.name} at "${item.schedule}" (UTC)`, { autoClose: 4000 });
    } catch (error) {
      Notification.error(`Schedule failed: ${errorText(error)}`);
    }
    return null;
  }
  try {
    const job = await client.jobs.submit(body);
    Notification.success(`Submitted ${job.name} (${job.id}) on ${answer.value.profile}`, { autoClose: 4000 });
    onSubmitted(job);
    return job;
  } catch (error) {
    Notification.error(`Submit failed: ${errorText(error)}`);
    return null;
  }
}
