"""Reading a Chrome trace of a lab visit: main-thread CPU, and the time in our own
JavaScript, until a user-timing mark (used by :mod:`bench.lab.run`)."""

from __future__ import annotations

import itertools
from typing import Any

TRACE_CATEGORIES = ["disabled-by-default-devtools.timeline", "blink.user_timing",
                    "devtools.timeline", "disabled-by-default-v8.cpu_profiler"]
RESTORED_MARK = "bighead-restored"


def cpu_until_mark(events: list[dict[str, Any]], mark: str) -> float | None:
    """Main-thread CPU ms of the page until the user-timing ``mark``, from a Chrome
    trace: the thread time (``tdur``, else wall ``dur``) of the top-level tasks
    (``RunTask``) of the thread that recorded the mark, a task crossing the mark counted
    pro rata. None when the trace has no such mark."""
    at = _mark(events, mark)
    if at is None:
        return None
    pid, tid, end = at["pid"], at["tid"], float(at["ts"])
    total = 0.0
    for e in events:
        if (e.get("ph") != "X" or e.get("name") != "RunTask" or e.get("pid") != pid
                or e.get("tid") != tid or float(e["ts"]) >= end):
            continue
        dur = float(e.get("dur", 0.0))
        cpu = float(e.get("tdur", dur))
        if dur > 0 and float(e["ts"]) + dur > end:
            cpu *= (end - float(e["ts"])) / dur
        total += cpu
    return total / 1000.0


def _mark(events: list[dict[str, Any]], mark: str) -> dict[str, Any] | None:
    marks = [e for e in events if e.get("name") == mark and "user_timing" in e.get("cat", "")]
    return min(marks, key=lambda e: e["ts"]) if marks else None


def ours_until_mark(events: list[dict[str, Any]], mark: str, marker: str) -> float | None:
    """Main-thread ms spent in our JavaScript until the user-timing ``mark``: the V8
    sampling profile's samples (in the trace's ``ProfileChunk`` events) whose stack holds a
    frame of a script whose URL contains ``marker`` (what our code calls included), plus
    V8's compiling of our scripts. A lower bound of what we add (style and layout of our
    DOM are not counted); None when the trace has no mark or no profile."""
    at = _mark(events, mark)
    if at is None:
        return None
    pid, tid, end = at["pid"], at["tid"], float(at["ts"])
    clock = {e["id"]: float(e["args"]["data"]["startTime"]) for e in events
             if e.get("name") == "Profile" and e.get("pid") == pid and e.get("tid") == tid}
    if not clock:
        return None
    parent: dict[tuple[str, int], tuple[str, int] | None] = {}
    url: dict[tuple[str, int], str] = {}
    samples: list[tuple[float, tuple[str, int]]] = []
    chunks = [e for e in events if e.get("name") == "ProfileChunk" and e.get("pid") == pid
              and e.get("id") in clock]
    for e in sorted(chunks, key=lambda e: float(e["ts"])):
        pid_ = e["id"]
        data = e["args"]["data"]
        profile = data.get("cpuProfile", {})
        for node in profile.get("nodes", []):
            key = (pid_, node["id"])
            parent[key] = (pid_, node["parent"]) if "parent" in node else None
            url[key] = node.get("callFrame", {}).get("url", "")
        for node_id, delta in zip(profile.get("samples", []), data.get("timeDeltas", []),
                                  strict=False):
            clock[pid_] += float(delta)
            samples.append((clock[pid_], (pid_, node_id)))
    memo: dict[tuple[str, int], bool] = {}

    def ours(key: tuple[str, int] | None) -> bool:
        chain: list[tuple[str, int]] = []
        found = False
        while key is not None and key not in memo:
            chain.append(key)
            if marker in url.get(key, ""):
                found = True
                break
            key = parent.get(key)
        if not found and key is not None:
            found = memo[key]
        for k in chain:
            memo[k] = found
        return found

    samples.sort()
    total = 0.0
    for (t, key), (t_next, _) in itertools.pairwise(samples):
        if t < end and ours(key):
            total += min(t_next, end) - t
    for e in events:  # compiling our scripts before running them
        if (e.get("ph") == "X" and e.get("name") in ("v8.compile", "v8.compileModule")
                and e.get("pid") == pid and e.get("tid") == tid and float(e["ts"]) < end
                and marker in str(e.get("args", {}).get("data", {}).get("url", ""))):
            total += min(float(e.get("dur", 0.0)), end - float(e["ts"]))
    return total / 1000.0
