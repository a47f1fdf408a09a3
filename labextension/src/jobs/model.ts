/**
 * Jobs, sweeps and schedules, as the Jobs section shows them.
 */
import { BigheadClient } from '../api';
import { IJob, ISchedule, ISweep } from '../api/jobs';
import { AreaModel, asRequestError } from '../core/area';
import { BigheadRequestError } from '../api/request';
import { POLL_SECONDS } from '../core/poller';

/** How many jobs the sidebar lists, and how many sweeps. */
export const JOBS_SHOWN = 30;
export const SWEEPS_SHOWN = 10;

/** Seconds between two reads while a job runs, and while only a sweep does. */
export const LIVE_JOB_SECONDS = 1.5;
export const LIVE_SWEEP_SECONDS = 2;

export interface IJobsView {
  jobs: IJob[];
  sweeps: ISweep[];
  schedules: ISchedule[];
  /** Why the schedules could not be read, or null (the jobs' error is the model's). */
  schedulesError: BigheadRequestError | null;
}

export class JobsModel extends AreaModel<IJobsView> {
  constructor(readonly client: BigheadClient) {
    super();
  }

  get jobs(): IJob[] {
    return this.data?.jobs ?? [];
  }

  get sweeps(): ISweep[] {
    return this.data?.sweeps ?? [];
  }

  get schedules(): ISchedule[] {
    return this.data?.schedules ?? [];
  }

  /** Live jobs and sweeps are followed closely; otherwise the usual poll is enough. */
  get pollSeconds(): number {
    if (this.jobs.some(job => !job.final)) {
      return LIVE_JOB_SECONDS;
    }
    if (this.sweeps.some(sweep => sweep.state === 'running')) {
      return LIVE_SWEEP_SECONDS;
    }
    return POLL_SECONDS;
  }

  /**
   * Jobs, sweeps and schedules read together. A failed list of jobs is the model's
   * error; sweeps that cannot be read keep their last list (the jobs' error says why),
   * and the schedules' own error is kept apart.
   */
  protected async fetch(): Promise<IJobsView> {
    const [jobs, sweeps, schedules] = await Promise.allSettled([
      this.client.jobs.list({ limit: JOBS_SHOWN }),
      this.client.jobs.sweeps(),
      this.client.jobs.schedules()
    ]);
    if (jobs.status === 'rejected') {
      throw jobs.reason;
    }
    return {
      jobs: jobs.value.items,
      sweeps: sweeps.status === 'fulfilled' ? sweeps.value.items.slice(0, SWEEPS_SHOWN) : this.sweeps,
      schedules: schedules.status === 'fulfilled' ? schedules.value.items : this.schedules,
      schedulesError: schedules.status === 'rejected' ? asRequestError(schedules.reason) : null
    };
  }
}
