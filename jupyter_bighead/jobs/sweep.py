"""Hyperparameter sweeps: one job per trial, the metric collected, the best one marked.

Each trial is the same notebook with different parameters; it reports its metric with
``bh.log_metric(name, value)``. A trial that registers a model (``bh.register``) has
its job id in the version's lineage, so the sweep can point an alias at the best
trial's version.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import jupyter_bighead.admin as admin

from ..errors import InvalidSpec, NotFound
from .spec import JobSpec

if TYPE_CHECKING:
    from ..registry import ModelVersion, Registry
    from .executor import Executor


@dataclass(frozen=True)
class Trial:
    job_id: str
    parameters: Mapping[str, Any]
    state: str
    metric: float | None
    error: str | None = None


@dataclass(frozen=True)
class SweepResult:
    """The trials of a sweep, the best one, and the model version marked as best."""

    metric: str
    mode: str
    trials: tuple[Trial, ...]
    best: Trial | None
    registered: ModelVersion | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def rows(self) -> list[dict[str, Any]]:
        return [{"job_id": t.job_id, **t.parameters, self.metric: t.metric, "state": t.state,
                 "best": t is self.best} for t in self.trials]

    def table(self) -> Any:
        """The results as a DataFrame, best first."""
        import pandas as pd

        frame = pd.DataFrame(self.rows())
        if frame.empty:
            return frame
        return frame.sort_values(self.metric, ascending=self.mode == "min",
                                 na_position="last").reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "mode": self.mode,
                "trials": [trial_dict(t) for t in self.trials],
                "best": trial_dict(self.best) if self.best else None,
                "registered": ({"name": self.registered.name,
                                "version": self.registered.version}
                               if self.registered else None),
                "notes": list(self.notes)}

    def _repr_html_(self) -> str:
        return str(self.table().to_html(index=False))


def trial_dict(t: Trial) -> dict[str, Any]:
    """A trial as stored in a sweep's record and shown by the REST API."""
    return {"job_id": t.job_id, "parameters": dict(t.parameters), "state": t.state,
            "metric": t.metric, "error": t.error}


#: The most trials one sweep may have (a grid larger than this needs ``n``).
MAX_TRIALS = 1000


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def trial_parameters(space: Mapping[str, Any], strategy: str, n: int | None,
                     seed: int = 0) -> list[dict[str, Any]]:
    """The parameter sets to try (at most :data:`MAX_TRIALS`).

    ``grid``: every combination of the lists in ``space`` (the first ``n`` if given).
    ``random``: ``n`` draws; a list is a choice, a ``(low, high)`` tuple a uniform range
    (integers when both ends are integers).

    The size of the space is checked before anything is expanded, so a small request
    cannot ask for a huge grid.

    Raises
    ------
    InvalidSpec
        An empty or malformed space, an unknown strategy, a bad ``n``, or more than
        :data:`MAX_TRIALS` trials.
    """
    if not isinstance(space, Mapping) or not space:
        raise InvalidSpec("the search space is empty")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise InvalidSpec(f"n must be a whole number >= 1, not {n!r}")
    if n is not None and n > MAX_TRIALS:
        raise InvalidSpec(f"n={n} trials is more than the {MAX_TRIALS} a sweep may run")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidSpec(f"seed must be a whole number, not {seed!r}")
    names = list(space)
    if strategy == "grid":
        values = []
        for name in names:
            options = space[name]
            if not isinstance(options, list | tuple) or not options:
                raise InvalidSpec(f"grid values of {name!r} must be a non-empty list")
            values.append(list(options))
        size = math.prod(len(v) for v in values)
        if n is None and size > MAX_TRIALS:
            raise InvalidSpec(f"the grid has {size} combinations, more than the {MAX_TRIALS} "
                              "a sweep may run; pass n to try only the first n")
        combos = itertools.islice(itertools.product(*values), n or size)
        return [dict(zip(names, c, strict=True)) for c in combos]
    if strategy == "random":
        if not n:
            raise InvalidSpec("a random sweep needs n >= 1 trials")
        for name in names:
            options = space[name]
            if isinstance(options, tuple) and len(options) == 2:
                if not all(_is_number(v) and math.isfinite(v) for v in options) \
                        or options[0] > options[1]:
                    raise InvalidSpec(f"the range of {name!r} must be two finite numbers, "
                                      "low <= high")
            elif not (isinstance(options, list) and options):
                raise InvalidSpec(f"random values of {name!r} must be a list or "
                                  "a (low, high) tuple")
        rng = random.Random(seed)
        out = []
        for _ in range(n):
            trial: dict[str, Any] = {}
            for name in names:
                options = space[name]
                if isinstance(options, tuple):
                    low, high = options
                    if isinstance(low, int) and isinstance(high, int):
                        trial[name] = rng.randint(low, high)
                    else:
                        trial[name] = rng.uniform(float(low), float(high))
                else:
                    trial[name] = rng.choice(options)
            out.append(trial)
        return out
    raise InvalidSpec(f"strategy must be 'grid' or 'random', not {str(strategy)[:40]!r}")


def sweep(
    spec: JobSpec,
    space: Mapping[str, Any],
    strategy: str = "grid",
    n: int | None = None,
    max_parallel: int = 2,
    metric: str = "score",
    mode: str = "max",
    *,
    executor: Executor | None = None,
    model: str | None = None,
    alias: str = "best",
    registry: Registry | None = None,
    seed: int = 0,
    timeout: float = 3600,
    poll: float = 0.5,
    on_trial: Callable[[Trial, int], None] | None = None,
    sweep_id: str | None = None,
) -> SweepResult:
    """Run one job per trial (at most ``max_parallel`` at once) and pick the best.

    With ``model``, the version of that model registered by the best trial gets
    ``alias`` (default ``"best"``). ``on_trial(trial, total)`` is called as each trial
    finishes; ``sweep_id`` labels the trial jobs.

    Raises
    ------
    InvalidSpec
        Bad space, strategy, mode or parallelism, or a trial submission is refused.
    NotFound
        ``model`` was given but the best trial registered no version of it.
    """
    if mode not in ("max", "min"):
        raise InvalidSpec("mode must be 'max' or 'min'")
    if max_parallel < 1:
        raise InvalidSpec("max_parallel must be at least 1")
    candidates = trial_parameters(space, strategy, n, seed)
    if executor is None:
        from .executor import get_executor

        executor = get_executor("local")
    pending = list(candidates)
    running: dict[str, dict[str, Any]] = {}
    finished: list[Trial] = []
    deadline = time.monotonic() + timeout
    while pending or running:
        while pending and len(running) < max_parallel:
            swept = pending.pop(0)
            labels = {**spec.labels, "sweep": sweep_id or "yes"}
            try:
                record = executor.submit(replace(spec, parameters={**spec.parameters, **swept},
                                                 labels=labels))
            except admin.QuotaExceeded:
                if not running:  # nothing of ours to wait for: the quota is simply too low
                    raise
                pending.insert(0, swept)  # the user's quota bounds the parallelism: wait
                break
            # A trial keeps only the values it varies: the spec's own are in the sweep once.
            running[record.id] = swept
        for job_id in list(running):
            record = executor.status(job_id)
            if record.final:
                value = record.metrics.get(metric)
                trial = Trial(job_id, running.pop(job_id), record.state, value, record.error)
                finished.append(trial)
                if on_trial is not None:
                    on_trial(trial, len(candidates))
        if time.monotonic() > deadline:
            for job_id in running:
                executor.cancel(job_id)
            raise InvalidSpec(f"the sweep did not finish within {timeout} s; trials cancelled")
        if running:
            time.sleep(poll)

    scored = [t for t in finished if t.state == "succeeded" and t.metric is not None]
    best = (max if mode == "max" else min)(scored, key=lambda t: t.metric or 0.0, default=None)
    notes = [f"trial {t.job_id} {t.state}: {t.error}" for t in finished if t.state != "succeeded"]
    registered = None
    if model and best is not None:
        registered = _mark_best(registry, model, alias, best.job_id)
    return SweepResult(metric, mode, tuple(finished), best, registered, tuple(notes))


def _mark_best(registry: Registry | None, model: str, alias: str, job_id: str) -> ModelVersion:
    if registry is None:
        from ..registry.default import default_registry

        registry = default_registry()
    for mv in registry.versions(model, limit=1000):
        if (mv.lineage or {}).get("job_id") == job_id:
            registry.set_alias(model, alias, mv.version)
            return registry.get(model, mv.version)
    raise NotFound(f"the best trial ({job_id}) registered no version of {model!r}; "
                   "call bh.register in the notebook")
