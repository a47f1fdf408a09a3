"""Server start-up cost of the Bighead extension.

    python bench/startup/run.py [--rounds 5] [--json OUT]

Starts ``jupyter server`` (``python -m jupyter_server``, with every other installed
extension, JupyterLab included) without and then with ``jupyter_bighead_server``
enabled, in alternating rounds. Each server gets a fresh temporary root, home and
runtime folder. Once it answers ``GET /api/status`` and its CPU time has stopped
growing (so work a server starts in the background is counted too), the harness reads
the server process's resident memory and CPU seconds (user + system) with psutil. The
difference of the medians is what the extension costs every Jupyter server.

Then, on each server with the extension, it times the first Bighead request
(``GET /bighead/api/models``): that request pays the imports the start-up no longer
does. Target (issue #17): the extension adds < 20 MiB RSS and < 0.2 s CPU at start-up.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

EXTENSION = "jupyter_bighead_server"
TARGET_RSS_MIB = 20.0
TARGET_CPU_S = 0.2
MIB = 1024 * 1024


@dataclass(frozen=True)
class Sample:
    """One server at rest after start-up (and, with the extension, after one request)."""

    enabled: bool
    rss_mib: float
    cpu_s: float
    #: The first Bighead request: wall seconds, and CPU seconds and MiB it added.
    first_request_s: float | None = None
    first_request_cpu_s: float | None = None
    first_request_rss_mib: float | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, token: str, timeout: float = 60.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Authorization": f"token {token}"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def settle(proc: psutil.Process, *, quiet_s: float = 0.6, limit_s: float = 30.0) -> None:
    """Wait until ``proc`` used (almost) no CPU for ``quiet_s``: background start-up
    work counts as start-up."""
    deadline = time.monotonic() + limit_s
    last = cpu_seconds(proc)
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = cpu_seconds(proc)
        if now - last < 0.01:
            return
        last = now


@contextmanager
def jupyter_server(enabled: bool) -> Iterator[tuple[psutil.Process, int, str]]:
    """A running ``jupyter server`` with the extension on or off; (process, port, token)."""
    with tempfile.TemporaryDirectory(prefix="bighead-startup-") as tmp:
        root = Path(tmp)
        (root / "work").mkdir()
        config = root / "jupyter_server_config.json"
        config.write_text(json.dumps(
            {"ServerApp": {"jpserver_extensions": {EXTENSION: enabled}}}))
        port, token = free_port(), "bench-startup"
        env = {**os.environ, "BIGHEAD_HOME": str(root / "home"),
               "JUPYTER_RUNTIME_DIR": str(root / "runtime"), "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "jupyter_server", f"--config={config}",
               f"--port={port}", "--ip=127.0.0.1", "--no-browser",
               f"--ServerApp.token={token}", f"--ServerApp.root_dir={root / 'work'}",
               "--ServerApp.port_retries=0"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers, CI
            cmd.append("--allow-root")
        with (root / "server.log").open("wb") as log:
            popen = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL)
        try:
            proc = psutil.Process(popen.pid)
            deadline = time.monotonic() + 120
            while True:
                if popen.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("jupyter server did not start:\n"
                                       + (root / "server.log").read_text(errors="replace"))
                try:
                    if _get(port, "/api/status", token, timeout=5) == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.05)
            yield proc, port, token
        finally:
            popen.terminate()
            try:
                popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()


def measure(enabled: bool, *, first_request: bool = True) -> Sample:
    """Start one server and measure it at rest; with the extension, time the first
    Bighead request too."""
    with jupyter_server(enabled) as (proc, port, token):
        settle(proc)
        rss, cpu = proc.memory_info().rss / MIB, cpu_seconds(proc)
        if not (enabled and first_request):
            return Sample(enabled, rss, cpu)
        started = time.perf_counter()
        status = _get(port, "/bighead/api/models", token, timeout=300)
        wall = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"GET /bighead/api/models answered {status}")
        return Sample(enabled, rss, cpu, wall, cpu_seconds(proc) - cpu,
                      proc.memory_info().rss / MIB - rss)


@dataclass(frozen=True)
class Summary:
    rounds: int
    rss_mib_without: float
    rss_mib_with: float
    cpu_s_without: float
    cpu_s_with: float
    added_rss_mib: float
    added_cpu_s: float
    first_request_s: float | None
    first_request_cpu_s: float | None
    first_request_rss_mib: float | None

    @property
    def met(self) -> bool:
        return self.added_rss_mib < TARGET_RSS_MIB and self.added_cpu_s < TARGET_CPU_S


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def summarize(samples: list[Sample]) -> Summary:
    """Medians of each kind of server, and their differences."""
    off = [s for s in samples if not s.enabled]
    on = [s for s in samples if s.enabled]
    rss_off = statistics.median(s.rss_mib for s in off)
    rss_on = statistics.median(s.rss_mib for s in on)
    cpu_off = statistics.median(s.cpu_s for s in off)
    cpu_on = statistics.median(s.cpu_s for s in on)
    return Summary(
        min(len(off), len(on)), rss_off, rss_on, cpu_off, cpu_on, rss_on - rss_off,
        cpu_on - cpu_off, _median([s.first_request_s for s in on]),
        _median([s.first_request_cpu_s for s in on]),
        _median([s.first_request_rss_mib for s in on]))


def run(rounds: int, *, first_request: bool = True) -> tuple[Summary, list[Sample]]:
    """``rounds`` servers of each kind, alternating (so drifting load hits both)."""
    samples = []
    for _ in range(rounds):
        samples.append(measure(False))
        samples.append(measure(True, first_request=first_request))
    return summarize(samples), samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the samples here")
    args = parser.parse_args(argv)
    summary, samples = run(args.rounds)
    s = summary
    print(f"jupyter server start-up, median of {s.rounds} rounds (server process, at rest "
          "after GET /api/status)")
    print(f"{'':22}{'RSS MiB':>10}{'CPU s':>10}")
    print(f"{'without the extension':22}{s.rss_mib_without:10.1f}{s.cpu_s_without:10.2f}")
    print(f"{'with the extension':22}{s.rss_mib_with:10.1f}{s.cpu_s_with:10.2f}")
    print(f"{'added':22}{s.added_rss_mib:10.1f}{s.added_cpu_s:10.2f}   target < "
          f"{TARGET_RSS_MIB:.0f} MiB and < {TARGET_CPU_S} s: {'met' if s.met else 'MISSED'}")
    if s.first_request_s is not None:
        print(f"first GET /bighead/api/models: {s.first_request_s:.2f} s wall, "
              f"{s.first_request_cpu_s:.2f} s CPU, +{s.first_request_rss_mib:.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps({"summary": asdict(s), "met": s.met,
                                         "samples": [asdict(x) for x in samples]},
                                        indent=2))
    return 0 if s.met else 1


if __name__ == "__main__":
    sys.exit(main())
