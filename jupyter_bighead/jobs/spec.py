"""What to run: ``JobSpec``, compute profiles and cron expressions (pure values, no I/O)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..admin.profiles import DEFAULT_PROFILES, ComputeProfile  # noqa: F401 - re-exported
from ..errors import InvalidSpec
from ..resources import parse_gpu_count, parse_quantity  # parse_quantity: old home too

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\Z")
_FUNCTION = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*\Z")
#: A kernelspec name as jupyter_client allows it (no path separators).
_KERNEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
_DIGITS = re.compile(r"[0-9]{1,9}\Z")
_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31),
                ("month", 1, 12), ("day of week", 0, 7))
_CRON_ALIASES = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                 "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
                 "@annually": "0 0 1 1 *"}
#: Month and weekday names cron accepts, with their numbers.
CRON_MONTHS = {m: i + 1 for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split())}
CRON_DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}


def validate_cron(expr: str) -> str:
    """Check a 5-field cron expression (or an @alias); return it normalised.

    Raises
    ------
    InvalidSpec
        Naming the field and the value that is wrong.
    """
    if not isinstance(expr, str) or not expr.strip():
        raise InvalidSpec("schedule must be a cron expression such as '0 3 * * *'")
    text = " ".join(expr.split())
    fields = _CRON_ALIASES.get(text, text).split(" ")
    if len(fields) != 5:
        raise InvalidSpec(f"cron expression {expr!r} must have 5 fields "
                          f"(minute hour day-of-month month day-of-week), got {len(fields)}")
    for value, (name, lo, hi) in zip(fields, _CRON_FIELDS, strict=True):
        names = CRON_MONTHS if name == "month" else CRON_DAYS if name == "day of week" else {}
        for part in value.split(","):
            base, _, step = part.partition("/")
            if step and (not _DIGITS.match(step) or int(step) == 0):
                raise InvalidSpec(f"cron {name} step {step!r} in {expr!r} is not a positive number")
            if base == "*":
                continue
            bounds = base.split("-")
            if len(bounds) > 2 or not all(bounds):
                raise InvalidSpec(f"cron {name} {part!r} in {expr!r} is malformed")
            nums = []
            for b in bounds:
                n = names.get(b.lower(), int(b) if _DIGITS.match(b) else None)
                if n is None or not lo <= n <= hi:
                    raise InvalidSpec(
                        f"cron {name} {b!r} in {expr!r} is not in {lo}-{hi}"
                    )
                nums.append(n)
            if len(nums) == 2 and nums[0] > nums[1]:
                raise InvalidSpec(f"cron {name} range {base!r} in {expr!r} runs backwards")
    return " ".join(fields)


#: Job functions shipped with jupyter-bighead, each with the parameters that name files.
#: A server runs only these (and those its admin lists) through REST, and resolves
#: those parameters inside its root like every other path in a request body.
BUILTIN_JOB_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "jupyter_bighead.jobs.scoring:score_job": ("input", "output"),
}

#: The most bytes a job spec's ``parameters``, ``labels`` and ``resources`` may take
#: as JSON together: specs are stored with every run, schedule and sweep and listed
#: by the lab's Jobs panel, so a huge one would slow every listing.
MAX_SPEC_BYTES = 64 * 1024


def check_json_values(value: Any, what: str, max_bytes: int = MAX_SPEC_BYTES) -> int:
    """Check that ``value`` is plain JSON (no NaN or Infinity) of at most ``max_bytes``;
    return its size.

    Raises
    ------
    InvalidSpec
        Naming ``what`` when the value is not JSON, holds NaN/Infinity, or is too big.
    """
    try:
        text = json.dumps(value, allow_nan=False)
    except ValueError:
        raise InvalidSpec(f"{what} may not hold NaN or Infinity (they are not JSON)") \
            from None
    except RecursionError:
        raise InvalidSpec(f"{what} is nested too deeply") from None
    except TypeError as exc:
        raise InvalidSpec(f"{what} must hold only JSON values: {str(exc)[:200]}") from None
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise InvalidSpec(f"{what} take {size} bytes as JSON; a job spec's parameters, "
                          f"labels and resources may take at most {max_bytes} bytes")
    return size


@dataclass(frozen=True)
class JobSpec:
    """What to run and how: a notebook or a ``module:function``, parameters, profile.

    ``resources`` may ask for less than (never more than) the profile gives.
    """

    notebook: str | None = None
    function: str | None = None  # "package.module:function"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    profile: str = "default"
    schedule: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None
    kernel: str | None = None
    resources: Mapping[str, Any] = field(default_factory=dict)
    cluster: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        for key in ("notebook", "function", "schedule", "name", "kernel"):
            value = getattr(self, key)
            if value is not None and not isinstance(value, str):
                raise InvalidSpec(f"{key} must be a string, not {type(value).__name__}")
        if not isinstance(self.profile, str):
            raise InvalidSpec(f"profile must be a string, not {type(self.profile).__name__}")
        for key in ("parameters", "labels", "resources"):
            if not isinstance(getattr(self, key), Mapping):
                raise InvalidSpec(f"{key} must be a JSON object, not "
                                  f"{type(getattr(self, key)).__name__}")
        if any(not isinstance(k, str) for k in self.parameters):
            raise InvalidSpec("parameter names must be strings")
        check_json_values({"parameters": dict(self.parameters), "labels": dict(self.labels),
                           "resources": dict(self.resources)},
                          "parameters, labels and resources")
        if (self.notebook is None) == (self.function is None):
            raise InvalidSpec("a job runs exactly one of 'notebook' or 'function'")
        if self.function is not None and (not isinstance(self.function, str)
                                          or not _FUNCTION.match(self.function)):
            raise InvalidSpec(f"function {self.function!r} must look like 'package.module:func'")
        if self.notebook is not None and not self.notebook.lower().endswith(".ipynb"):
            raise InvalidSpec(f"notebook {_shown(self.notebook)} must be a .ipynb file")
        if self.kernel is not None and not _KERNEL.match(self.kernel):
            raise InvalidSpec(f"kernel {_shown(self.kernel)} is not a kernelspec name "
                              "(letters, digits, '.', '_', '-')")
        if self.name is not None and not _NAME.match(self.name):
            raise InvalidSpec(f"job name {self.name!r} may use letters, digits, '_', '.', '-'")
        if self.schedule is not None:
            object.__setattr__(self, "schedule", validate_cron(self.schedule))
        if not isinstance(self.parameters, Mapping):
            raise InvalidSpec("parameters must be a mapping of name to value")
        for key, value in self.labels.items():
            if not _NAME.match(str(key)) or not isinstance(value, str):
                raise InvalidSpec(f"label {key!r}={value!r} must be a short name and a string")
        unknown = set(self.resources) - {"cpu", "memory", "gpu"}
        if unknown:
            raise InvalidSpec(f"resources may set cpu, memory and gpu, not {sorted(unknown)}")
        if self.cluster is not None:
            object.__setattr__(self, "cluster", check_cluster_request(self.cluster))

    @property
    def display_name(self) -> str:
        return self.name or (self.notebook or self.function or "job").rsplit("/", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("parameters", "labels", "resources"):
            out[key] = dict(out[key])
        out["cluster"] = None if self.cluster is None else dict(self.cluster)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobSpec:
        if not isinstance(data, Mapping):
            raise InvalidSpec("a job spec must be a JSON object")
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise InvalidSpec(f"unknown job spec keys {sorted(unknown)}; known: {sorted(known)}")
        return cls(**dict(data))


#: The most Dask workers one job may ask for.
MAX_CLUSTER_WORKERS = 64
#: What a job's ``cluster`` request may say.
CLUSTER_KEYS = ("workers", "profile", "threads")


def check_cluster_request(value: Any) -> dict[str, Any]:
    """A job's ``cluster`` request checked: ``{"workers": N, "profile": NAME,
    "threads": T}``, ``workers`` 1..:data:`MAX_CLUSTER_WORKERS` (required), ``profile``
    a profile name (default: the job's; whether it exists is checked at submit),
    ``threads`` per worker 1..64 (default: the profile's whole CPUs, at least 1).

    Raises
    ------
    InvalidSpec
        Naming the key that is wrong, or the unknown keys.
    """
    if not isinstance(value, Mapping):
        raise InvalidSpec("cluster must be a JSON object such as {\"workers\": 2}, not "
                          f"{type(value).__name__}")
    unknown = sorted(str(k) for k in value if k not in CLUSTER_KEYS)
    if unknown:
        raise InvalidSpec(f"cluster has unknown keys {unknown}; known keys: {list(CLUSTER_KEYS)}")
    out: dict[str, Any] = {}
    for key, low, high in (("workers", 1, MAX_CLUSTER_WORKERS), ("threads", 1, 64)):
        if key not in value:
            continue
        number = value[key]
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            raise InvalidSpec(f"cluster {key} must be a whole number from {low} to {high}, "
                              f"not {_shown(repr(number), 40)}")
        out[key] = number
    if "workers" not in out:
        raise InvalidSpec("cluster needs 'workers': how many Dask workers the job gets "
                          f"(1 to {MAX_CLUSTER_WORKERS})")
    if "profile" in value:
        profile = value["profile"]
        if not isinstance(profile, str) or not _NAME.match(profile):
            raise InvalidSpec(f"cluster profile {_shown(repr(profile), 40)} must be a profile name")
        out["profile"] = profile
    return out


def cluster_plan(spec: JobSpec, profile: ComputeProfile) -> dict[str, Any]:
    """What a job's Dask cluster is made of: ``workers`` workers of ``profile`` (its
    image, cpu and memory per worker) with ``threads`` threads each; ``{}`` without a
    request. ``profile`` is the request's profile (the caller looks it up).

    Raises
    ------
    InvalidSpec
        If ``threads`` exceeds the profile's cpu (rounded up).
    """
    if not spec.cluster:
        return {}
    cpu = parse_quantity(profile.cpu, f"profile {profile.name!r} cpu")
    most = max(1, math.ceil(cpu))
    threads = int(spec.cluster.get("threads") or max(1, int(cpu)))
    if threads > most:
        raise InvalidSpec(f"cluster threads {threads} exceed what profile {profile.name!r} "
                          f"gives each worker (cpu {profile.cpu}): at most {most}")
    return {"workers": int(spec.cluster["workers"]), "profile": profile.name,
            "threads": threads,
            "cpu": profile.cpu, "memory": profile.memory, "image": profile.image}


def _shown(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def check_within_profile(spec: JobSpec, profile: ComputeProfile) -> dict[str, Any]:
    """The resources the job gets: the profile's, or less if the spec asks for less.

    Raises
    ------
    InvalidSpec
        If the spec asks for more cpu, memory or GPUs than the profile allows.
    """
    wanted = dict(spec.resources)
    result = {"cpu": profile.cpu, "memory": profile.memory, "gpu": profile.gpu}
    for key in ("cpu", "memory"):
        if key in wanted:
            ask = parse_quantity(wanted[key], f"requested {key}")
            cap = parse_quantity(getattr(profile, key), f"profile {key}")
            if ask > cap:
                raise InvalidSpec(f"requested {key} {wanted[key]} exceeds profile "
                                  f"{profile.name!r} limit {getattr(profile, key)}")
            result[key] = str(wanted[key])
    if "gpu" in wanted:
        gpu = parse_gpu_count(wanted["gpu"], "requested gpu")
        if gpu > profile.gpu:
            raise InvalidSpec(f"requested {wanted['gpu']} GPU(s) exceeds profile "
                              f"{profile.name!r} limit {profile.gpu}")
        result["gpu"] = gpu
    return result
