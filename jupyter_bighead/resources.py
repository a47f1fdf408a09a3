"""Resource quantities as values: Kubernetes-style amounts of cpu and memory ("500m",
"2Gi", 4) and GPU counts. Pure functions, no I/O; jobs, pipelines and deploy targets
all read quantities through here (:mod:`.kube` turns them into container resources).
"""

from __future__ import annotations

import math
import re
from typing import Any

from .errors import InvalidSpec

#: The resource names a job, a pipeline block or a deployment may ask for.
RESOURCE_KEYS = ("cpu", "memory", "gpu")

_QUANTITY = re.compile(r"([0-9]{1,15}(?:\.[0-9]{1,15})?)(m|k|Ki|M|Mi|G|Gi|T|Ti)?\Z")
_FACTORS = {None: 1, "m": 1e-3, "k": 1e3, "Ki": 1024, "M": 1e6, "Mi": 1024**2,
            "G": 1e9, "Gi": 1024**3, "T": 1e12, "Ti": 1024**4}


def parse_quantity(value: str | float, what: str) -> float:
    """A Kubernetes quantity ("500m", "2Gi", 4) as a number.

    Raises
    ------
    InvalidSpec
        Naming ``what``, if ``value`` is negative, not finite or not a quantity.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value) or value < 0:
            raise InvalidSpec(f"{what} {value!r} must be a finite number >= 0")
        return float(value)
    match = _QUANTITY.match(str(value).strip())
    if not match:
        raise InvalidSpec(f"{what} {value!r} is not a quantity like '500m', '2', '4Gi'")
    return float(match.group(1)) * _FACTORS[match.group(2)]


def parse_gpu_count(value: Any, what: str) -> int:
    """A GPU count: a whole number >= 0 (``True`` is not a count).

    Raises
    ------
    InvalidSpec
        Naming ``what``, for anything else.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidSpec(f"{what} {value!r} must be a whole number >= 0")
    return value

