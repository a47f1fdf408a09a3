/**
 * One poller and one change signal for every Bighead panel.
 *
 * Panels reload their data when a topic they show changes: on the poller's tick (which
 * catches changes made elsewhere: a notebook, the CLI, another tab), and at once when
 * another panel of this page changed it (stopping a deployment in the sidebar updates
 * the model view, a refresh button refreshes everything in its area).
 */
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

/** What changed. `all` is the poller's tick. */
export type Topic = 'all' | 'models' | 'features' | 'jobs' | 'deployments';

/** Seconds between two ticks while the page is visible. */
export const POLL_SECONDS = 10;

export class RefreshHub {
  private _changed = new Signal<this, Topic>(this);
  private _timer: number | undefined;

  /** Emitted with the topic that changed; `all` on each tick. */
  get changed(): ISignal<this, Topic> {
    return this._changed;
  }

  /** Tell every panel showing `topic` to reload. */
  emit(topic: Topic): void {
    this._changed.emit(topic);
  }

  /** Tick every `seconds` (0 stops); a hidden page is not polled. */
  start(seconds: number = POLL_SECONDS): void {
    this.stop();
    if (seconds > 0) {
      this._timer = window.setInterval(() => {
        if (document.visibilityState !== 'hidden') {
          this._changed.emit('all');
        }
      }, seconds * 1000);
    }
  }

  stop(): void {
    if (this._timer !== undefined) {
      window.clearInterval(this._timer);
      this._timer = undefined;
    }
  }
}

/** The page's hub: the plugin starts its poller. */
export const hub = new RefreshHub();

/** Call `load` whenever `topic` changes (or on every tick). */
export function useRefresh(topic: Topic, load: () => unknown): void {
  const latest = React.useRef(load);
  latest.current = load;
  React.useEffect(() => {
    const listener = (_: RefreshHub, changed: Topic): void => {
      if (changed === 'all' || changed === topic) {
        void latest.current();
      }
    };
    hub.changed.connect(listener);
    return () => {
      hub.changed.disconnect(listener);
    };
  }, [topic]);
}
