"""One Dask cluster setting for the whole platform (issue #15).

A setting says where heavy work runs:

``"none"`` or ``""``
    today's single-process engine (the default);
``"local"``
    a :class:`distributed.LocalCluster` sized to this machine: one single-threaded worker
    process per core, each with a fair share of the memory;
a scheduler address
    ``"tcp://host:8786"`` (also ``tls://``, ``ws://``, ``wss://``, ``ucx://``, or a bare
    ``"host:8786"``, read as ``tcp://``): an existing cluster;
``"kubernetes"``, ``"kubernetes:PROFILE"`` or ``"kubernetes:PROFILE:N"``
    a scheduler and ``N`` workers (default ``$BIGHEAD_DASK_WORKERS``, else 2) created as
    Kubernetes pods with the compute profile's image and resources (default profile
    ``default``) for each call and deleted after it (:mod:`jupyter_bighead.kube_dask`).
    ``"kubernetes::N"`` keeps the default profile. A host named ``kubernetes`` is reached
    as ``"tcp://kubernetes:8786"``.

In the Python API a ``cluster=`` argument may also be a :class:`distributed.Client` or
a cluster object (``LocalCluster``, anything with a ``scheduler_address``), which is used
as it is and never closed here. Resolution order: the explicit argument, else
``$BIGHEAD_DASK``, else ``"none"``.

This module is in the bottom layer and imports ``dask``/``distributed`` only inside
functions: ``import jupyter_bighead`` stays light.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jupyter_bighead.kube_dask as kube_dask

from .errors import InvalidSpec, Unavailable

if TYPE_CHECKING:
    from distributed import Client

ENV = "BIGHEAD_DASK"
"""The environment variable read when no ``cluster=`` argument is given."""

NONE = "none"
LOCAL = "local"
KUBERNETES = "kubernetes"
KINDS = (NONE, LOCAL, "address", KUBERNETES, "client")
"""``ClusterSetting.kind`` values; ``"client"`` is a Client or cluster object given in Python."""

_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
_ADDRESS = re.compile(
    r"^(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+)"
    r"(?::(?P<port>\d{1,5}))?(?P<path>/[A-Za-z0-9._/-]*)?$"  # inproc://host/pid/n has a path
)
_HELP = (
    "use 'none' (single process), 'local' (a LocalCluster on this machine), a scheduler "
    "address such as 'tcp://host:8786', or 'kubernetes[:PROFILE[:WORKERS]]'"
)


@dataclass(frozen=True)
class ClusterSetting:
    """A resolved cluster setting.

    Attributes
    ----------
    kind
        One of :data:`KINDS`.
    address
        The scheduler address for ``kind == "address"`` (normalised, with a scheme).
    obj
        The Client or cluster object for ``kind == "client"``.
    source
        Where the setting came from: ``"argument"``, ``"env"`` or ``"default"``.
    profile, workers
        For ``kind == "kubernetes"``: the compute profile and worker count the setting
        names (``None``: the defaults, chosen when the cluster starts).
    """

    kind: str
    address: str | None = None
    obj: Any = None
    source: str = "argument"
    profile: str | None = None
    workers: int | None = None

    @property
    def distributed(self) -> bool:
        """Whether work goes to a Dask cluster (anything but ``"none"``)."""
        return self.kind != NONE

    def __str__(self) -> str:
        if self.kind == "address":
            return str(self.address)
        if self.kind == "client":
            return f"<{type(self.obj).__name__}>"
        if self.kind == KUBERNETES and (self.profile or self.workers):
            tail = f":{self.workers}" if self.workers else ""
            return f"{KUBERNETES}:{self.profile or ''}{tail}"
        return self.kind


def parse_setting(text: str, *, source: str = "argument") -> ClusterSetting:
    """Read a setting string (see the module docstring).

    Raises
    ------
    InvalidSpec
        If ``text`` is none of the accepted forms; the message lists them.
    """
    if not isinstance(text, str):
        raise InvalidSpec(f"a cluster setting must be a string, not {type(text).__name__}; {_HELP}")
    value = text.strip()
    low = value.lower()
    if low in ("", NONE):
        return ClusterSetting(NONE, source=source)
    if low == LOCAL:
        return ClusterSetting(LOCAL, source=source)
    head, _, rest = low.partition(":")
    if head in (KUBERNETES, "k8s") and not rest.startswith("//"):
        return _kubernetes_setting(value, value.partition(":")[2], _, source)
    match = _ADDRESS.match(value)
    if match is None or (match["scheme"] is None and match["port"] is None):
        raise InvalidSpec(f"unknown cluster setting {text[:200]!r}; {_HELP}")
    scheme = (match["scheme"] or "tcp").lower()
    if scheme not in _SCHEMES:
        raise InvalidSpec(
            f"cluster address {text[:200]!r} has the unknown scheme {scheme!r}; use one of "
            f"{', '.join(s + '://' for s in _SCHEMES)}"
        )
    port = match["port"]
    if port is not None and not 0 < int(port) < 65536:
        raise InvalidSpec(f"cluster address {text[:200]!r} has no valid port (1..65535)")
    address = f"{scheme}://{match['host']}" + (f":{port}" if port else "") + (
        match["path"] or ""
    ).rstrip("/")
    return ClusterSetting("address", address=address, source=source)


def _kubernetes_setting(text: str, rest: str, colon: str, source: str) -> ClusterSetting:
    """``kubernetes[:PROFILE[:WORKERS]]`` read (``rest`` is what follows the first colon)."""
    parts = rest.split(":") if colon else []
    if len(parts) > 2:
        raise InvalidSpec(f"cluster setting {text[:200]!r}: use 'kubernetes', "
                          "'kubernetes:PROFILE' or 'kubernetes:PROFILE:WORKERS'")
    profile = parts[0].strip() if parts else ""
    if profile:
        try:
            kube_dask.check_profile_name(profile)
        except InvalidSpec as err:
            raise InvalidSpec(f"cluster setting {text[:200]!r}: {err.message}") from None
    workers = None
    if len(parts) == 2:
        count = parts[1].strip()
        if not count.isdigit() or not 1 <= int(count) <= kube_dask.MAX_WORKERS:
            raise InvalidSpec(f"cluster setting {text[:200]!r}: the worker count must be a "
                              f"whole number from 1 to {kube_dask.MAX_WORKERS}")
        workers = int(count)
    return ClusterSetting(KUBERNETES, source=source, profile=profile or None, workers=workers)


def _is_cluster_object(value: Any) -> bool:
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dependency
        return False
    if isinstance(value, Client):
        return True
    return isinstance(getattr(value, "scheduler_address", None), str)


def resolve(cluster: Any = None, *, env: Mapping[str, str] | None = None) -> ClusterSetting:
    """The setting in force: ``cluster`` if given, else ``$BIGHEAD_DASK``, else none.

    Parameters
    ----------
    cluster
        ``None`` (look further), a setting string, a :class:`ClusterSetting`, a
        :class:`distributed.Client` or a cluster object (``LocalCluster``...).
    env
        The environment to read (defaults to ``os.environ``).

    Raises
    ------
    InvalidSpec
        If the argument or the variable is not a valid setting (the message says which).
    """
    if isinstance(cluster, ClusterSetting):
        return cluster
    if cluster is not None:
        if isinstance(cluster, str):
            return parse_setting(cluster)
        if _is_cluster_object(cluster):
            return ClusterSetting("client", obj=cluster)
        raise InvalidSpec(
            f"cluster= must be a setting string, a distributed.Client or a cluster object, "
            f"not {type(cluster).__name__}; {_HELP}"
        )
    value = (os.environ if env is None else env).get(ENV)
    if value is None:
        return ClusterSetting(NONE, source="default")
    try:
        return parse_setting(value, source="env")
    except InvalidSpec as err:
        raise InvalidSpec(f"${ENV}: {err.message}") from None


def local_cluster_options(
    cores: int | None = None, memory: int | None = None
) -> dict[str, Any]:
    """``LocalCluster`` keyword arguments for this machine.

    One worker process per core, one thread each (the engine is single-threaded numpy
    work, and processes keep the GIL out of the way), each worker allowed
    ``memory // workers`` bytes (Dask spills to disk, then pauses, near that limit).

    Parameters
    ----------
    cores, memory
        Override the detected core count and memory in bytes (both honour cgroup limits).
    """
    if cores is None or memory is None:
        from dask.system import CPU_COUNT
        from distributed.system import MEMORY_LIMIT

        cores = CPU_COUNT if cores is None else cores
        memory = MEMORY_LIMIT if memory is None else memory
    workers = max(1, int(cores))
    return {
        "n_workers": workers,
        "threads_per_worker": 1,
        "processes": True,
        "memory_limit": max(1, int(memory) // workers),
    }


@contextlib.contextmanager
def open_client(
    cluster: Any = None, *, env: Mapping[str, str] | None = None, timeout: float | None = None
) -> Iterator[Client | None]:
    """A Dask client for the setting in force, or ``None`` for the single-process engine.

    Tears down only what it created: a ``"local"`` setting starts a LocalCluster and
    closes it (and its client) on exit; ``"kubernetes"`` creates a scheduler and workers
    as pods and deletes them on exit, also on error or KeyboardInterrupt
    (:func:`.kube_dask.open_client`); an address gets a new client, closed on exit; a
    Client or cluster object given by the caller is left running (a client made for a
    given cluster object is closed).

    ``timeout`` is how long a scheduler may take to answer: default 10 s for an address,
    30 s for a ``kubernetes`` cluster's fresh scheduler.

    Raises
    ------
    InvalidSpec
        On a bad setting, an unknown profile.
    Unavailable
        If no scheduler answers within ``timeout`` seconds (for ``kubernetes``, also when
        the API cannot be reached or the pods do not start; the message says what to do).
    """
    setting = resolve(cluster, env=env)
    if setting.kind == NONE:
        yield None
        return
    if setting.kind == KUBERNETES:
        with kube_dask.open_client(setting.profile, setting.workers, env=env,
                                   connect_timeout=30.0 if timeout is None else timeout) as pods:
            yield pods
        return
    timeout = 10.0 if timeout is None else timeout
    from distributed import Client

    if setting.kind == "client":
        if isinstance(setting.obj, Client):
            yield setting.obj
            return
        with Client(setting.obj, set_as_default=False) as client:
            yield client
        return
    if setting.kind == LOCAL:
        from distributed import LocalCluster

        with (
            LocalCluster(**local_cluster_options()) as local,
            Client(local, set_as_default=False) as client,
        ):
            yield client
        return
    try:
        client = kube_dask.connect(str(setting.address), timeout)
    except Unavailable as err:
        raise Unavailable(
            f"{err.message}; start one (dask scheduler) or change the setting ({_HELP})"
        ) from None
    with client:
        yield client


def describe(cluster: Any = None, *, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The setting in force as JSON-safe data (``kind``, ``address``, ``source``; for
    ``kubernetes`` also ``profile`` and ``workers``, None when left to the default)."""
    setting = resolve(cluster, env=env)
    address = setting.address
    if setting.kind == "client":
        address = getattr(setting.obj, "scheduler_address", None) or getattr(
            getattr(setting.obj, "scheduler", None), "address", None
        )
    out: dict[str, Any] = {"kind": setting.kind, "address": address, "source": setting.source}
    if setting.kind == KUBERNETES:
        out.update(profile=setting.profile or "default", workers=setting.workers)
    return out
