/**
 * What the Jobs panel says about a job's GPUs and its place in the queue (pure:
 * unit-tested).
 *
 * The local executor keeps both in the job record's `backend` object, which the REST
 * job view passes through untyped: `backend.gpus` lists the devices a running job holds
 * (`{id, name, index}`), `backend.queue_position` is a queued job's place (1 is next;
 * a job asking for GPUs counts among the jobs waiting for GPUs). Both are read
 * defensively: other executors put other things there.
 */
import { IJob } from '../api/jobs';

export interface IJobGpuLine {
  /** `GPUs 0, 2`, `queued #2 for 1 GPU`, `queued #1`. */
  text: string;
  /** The held devices' full ids and names, for the hover. */
  title: string;
  /** `holding` while the job holds GPUs, `queued` while it waits. */
  kind: 'holding' | 'queued';
}

interface IHeldGpu {
  id: string;
  name: string;
  index: number | null;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The job record's `backend` object, or an empty one. */
function backendOf(job: IJob): { [key: string]: unknown } {
  const backend = (job as IJob & { backend?: unknown }).backend;
  return backend && typeof backend === 'object' && !Array.isArray(backend)
    ? (backend as { [key: string]: unknown })
    : {};
}

/** The GPUs a job's record says it holds (`backend.gpus`); malformed entries are skipped. */
export function heldGpus(job: IJob): IHeldGpu[] {
  const held = backendOf(job).gpus;
  if (!Array.isArray(held)) {
    return [];
  }
  const out: IHeldGpu[] = [];
  for (const g of held) {
    if (!g || typeof g !== 'object') {
      continue;
    }
    const { id, name, index } = g as { [key: string]: unknown };
    if ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '') {
      continue;
    }
    out.push({
      id: String(id),
      name: typeof name === 'string' ? name : '',
      index: typeof index === 'number' && Number.isInteger(index) ? index : null
    });
  }
  return out;
}

/** How many GPUs the job asked for (`resources.gpu`), 0 when none or unreadable. */
export function gpusWanted(job: IJob): number {
  const n = Number(job.resources?.gpu ?? 0);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/**
 * The line for a live job that holds GPUs or waits in the queue, else null (a finished
 * job holds nothing; a running job without GPUs has nothing to add). A device shows as
 * nvidia-smi's index when known, else its configured id; the hover has the full ids.
 */
export function jobGpuLine(job: IJob): IJobGpuLine | null {
  if (job.final) {
    return null;
  }
  if (job.state === 'running') {
    const held = heldGpus(job);
    if (held.length === 0) {
      return null;
    }
    const label = held.map(g => (g.index !== null ? String(g.index) : g.id)).join(', ');
    return {
      text: `${held.length === 1 ? 'GPU' : 'GPUs'} ${label}`,
      title: held.map(g => (g.name ? `${g.id} (${g.name})` : g.id)).join('\n'),
      kind: 'holding'
    };
  }
  if (job.state === 'queued') {
    const place = Number(backendOf(job).queue_position);
    if (!Number.isInteger(place) || place < 1) {
      return null;
    }
    const want = gpusWanted(job);
    return {
      text: `queued #${place}` + (want > 0 ? ` for ${plural(want, 'GPU')}` : ''),
      title: want > 0 ? `place ${place} among the jobs waiting for GPUs` : `place ${place} in the queue`,
      kind: 'queued'
    };
  }
  return null;
}
