/**
 * The line the Jobs panel shows for a job's GPUs and its place in the queue.
 */
import { describe, expect, it } from 'vitest';

import { IJob } from '../src/api';
import { gpusWanted, heldGpus, jobGpuLine } from '../src/jobs/gpus';

function job(state: IJob['state'], backend?: unknown, gpu?: unknown): IJob {
  return {
    id: 'j-1',
    name: 'train',
    state,
    final: ['succeeded', 'failed', 'cancelled'].includes(state),
    executor: 'local',
    created: '2026-01-01T00:00:00+00:00',
    started: null,
    finished: null,
    user: null,
    error: null,
    resources: gpu === undefined ? {} : { gpu },
    metrics: {},
    outputs: {},
    spec: { notebook: 'train.ipynb', function: null, profile: 'gpu', parameters: {} },
    ...(backend === undefined ? {} : { backend })
  } as IJob;
}

const HELD = {
  gpus: [
    { id: 'GPU-aaa', name: 'NVIDIA H100', index: 0 },
    { id: 'GPU-ccc', name: 'NVIDIA H100', index: 2 }
  ]
};

describe('jobGpuLine', () => {
  it('lists the GPUs a running job holds by index, full ids on hover', () => {
    const line = jobGpuLine(job('running', HELD, 2));
    expect(line?.text).toBe('GPUs 0, 2');
    expect(line?.kind).toBe('holding');
    expect(line?.title).toBe('GPU-aaa (NVIDIA H100)\nGPU-ccc (NVIDIA H100)');
  });

  it('shows a configured id when the index is unknown, singular for one', () => {
    const line = jobGpuLine(job('running', { gpus: [{ id: '3', name: '', index: null }] }, 1));
    expect(line?.text).toBe('GPU 3');
    expect(line?.title).toBe('3');
  });

  it("shows a queued job's place and what it waits for", () => {
    expect(jobGpuLine(job('queued', { queue_position: 2 }, 1))?.text).toBe('queued #2 for 1 GPU');
    expect(jobGpuLine(job('queued', { queue_position: 1 }, 4))?.text).toBe('queued #1 for 4 GPUs');
    expect(jobGpuLine(job('queued', { queue_position: 3 }))?.text).toBe('queued #3');
    expect(jobGpuLine(job('queued', { queue_position: 1 }, 1))?.kind).toBe('queued');
  });

  it('is null with nothing to say, or from another executor', () => {
    expect(jobGpuLine(job('running', {}, 0))).toBeNull();
    expect(jobGpuLine(job('running'))).toBeNull();
    expect(jobGpuLine(job('queued', {}, 1))).toBeNull();
    expect(jobGpuLine(job('queued', { queue_position: 0 }, 1))).toBeNull();
    expect(jobGpuLine(job('queued', { queue_position: 'soon' }, 1))).toBeNull();
    expect(jobGpuLine(job('running', { namespace: 'ml', gpus: 'all' }, 1))).toBeNull();
  });

  it('says nothing once the job is final, even if its record kept the GPUs', () => {
    expect(jobGpuLine(job('succeeded', HELD, 2))).toBeNull();
    expect(jobGpuLine(job('cancelled', { queue_position: 1 }, 1))).toBeNull();
  });
});

describe('heldGpus and gpusWanted', () => {
  it('skip malformed entries and read counts defensively', () => {
    const held = heldGpus(job('running', { gpus: [null, 'x', { name: 'no id' }, { id: '' }, { id: 1, index: 1.5 }] }));
    expect(held).toEqual([{ id: '1', name: '', index: null }]);
    expect(gpusWanted(job('queued', {}, '2'))).toBe(2);
    expect(gpusWanted(job('queued', {}, 'lots'))).toBe(0);
    expect(gpusWanted(job('queued', {}, -1))).toBe(0);
    expect(gpusWanted(job('queued'))).toBe(0);
  });
});
