"""Peak-memory and wall-clock measurement inside a contender's own process (stdlib only).

The worker loads its inputs and imports its library first, then calls :func:`reset_peak`,
which makes the kernel's high-water mark (``VmHWM``) equal to the current RSS
(``/proc/self/clear_refs`` = 5, Linux >= 4.0). After the timed call, the peak increment is
``VmHWM`` minus the RSS at the reset: the memory the materialization itself needed, without
the interpreter, the imported libraries or the spine that every contender has to hold.
"""

from __future__ import annotations

import re
import resource
from pathlib import Path

_STATUS = Path("/proc/self/status")


def _status_kib(key: str) -> int | None:
    try:
        text = _STATUS.read_text()
    except OSError:
        return None
    m = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(m.group(1)) if m else None


def rss_mib() -> float:
    kib = _status_kib("VmRSS")
    if kib is None:  # not Linux: fall back on the peak, the best we have
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024


def reset_peak() -> bool:
    """Reset the high-water mark to the current RSS; False where the kernel cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_mib() -> float:
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024
