"""Ask the JupyterLab frontend to act on the notebook (the Bighead labextension listens)."""

from __future__ import annotations

from typing import Any

COMM_TARGET = "jupyter_bighead"


def send_to_frontend(action: str, **data: Any) -> bool:
    """Open a one-shot comm to the Bighead labextension; False when no frontend listens."""
    try:
        from comm import create_comm
    except ImportError:  # pragma: no cover - comm ships with ipykernel
        return False
    try:
        comm = create_comm(target_name=COMM_TARGET, data={"action": action, **data})
    except Exception:  # no kernel (plain Python) or no frontend
        return False
    if type(comm).__name__ == "DummyComm":  # outside a kernel, comm hands out a dummy
        return False
    comm.close()
    return True


def insert_cell(code: str) -> bool:
    """Insert a code cell with ``code`` below the active cell of this notebook."""
    return send_to_frontend("insert_cell", code=code)
