"""The object handlers reach through ``self.settings["bighead"]``.

It holds the configured core objects; handlers call its methods and never touch
stores or executors directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.status import status_payload


@dataclass(frozen=True)
class BigheadService:
    home: BigheadHome
    executor: str

    def status(self) -> dict[str, Any]:
        return status_payload(self.home, self.executor)
