/**
 * React glue for area models and the poller.
 */
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

import { AreaModel } from './area';
import { IPollTask, Poller } from './poller';

/** Re-render whenever `signal` fires. */
export function useSignal(signal: ISignal<unknown, unknown>): void {
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    const listener = (): void => setTick(t => t + 1);
    signal.connect(listener);
    return () => {
      signal.disconnect(listener);
    };
  }, [signal]);
}

/** Watch `model` while mounted and re-render on its changes. */
export function useArea<T>(model: AreaModel<T>): AreaModel<T> {
  React.useEffect(() => {
    const watch = model.watch();
    return () => watch.dispose();
  }, [model]);
  useSignal(model.changed);
  return model;
}

/** Call `load` whenever `model`'s area is invalidated (each poll, each change made here). */
export function useInvalidated(model: AreaModel<unknown>, load: () => unknown): void {
  const latest = React.useRef(load);
  latest.current = load;
  React.useEffect(() => {
    const listener = (): void => void latest.current();
    model.invalidated.connect(listener);
    return () => {
      model.invalidated.disconnect(listener);
    };
  }, [model]);
}

/**
 * Poll `poll` every `seconds` (0 pauses) on the shared poller while mounted; with
 * `immediate`, the first call comes at the next tick.
 */
export function usePoll(poller: Poller, seconds: number, poll: () => Promise<unknown> | void, immediate = false): void {
  const latest = React.useRef({ seconds, poll });
  latest.current = { seconds, poll };
  React.useEffect(() => {
    const task: IPollTask = {
      get pollSeconds() {
        return latest.current.seconds;
      },
      poll: () => latest.current.poll()
    };
    const handle = poller.add(task, { immediate });
    return () => handle.dispose();
  }, [poller, immediate]);
}
