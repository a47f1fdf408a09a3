"""Run a notebook with papermill in a fresh kernel, with typed errors."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from ..errors import ExecutionFailed, InvalidSpec


def installed_kernels() -> list[str]:
    from jupyter_client.kernelspec import KernelSpecManager

    return sorted(KernelSpecManager().find_kernel_specs())


def run_notebook(
    path: str | Path,
    output: str | Path,
    *,
    parameters: Mapping[str, Any] | None = None,
    kernel_name: str | None = None,
    cwd: str | Path | None = None,
    progress_bar: bool = False,
    stream_to: tuple[TextIO, TextIO] | None = None,
) -> Path:
    """Execute ``path`` into ``output`` with papermill.

    ``stream_to`` is a ``(stdout, stderr)`` pair that receives the cells' stream output
    while they run, so a job's log shows progress before the notebook ends.

    Raises
    ------
    InvalidSpec
        If the kernel is not installed.
    ExecutionFailed
        If a cell raises; ``details`` holds the cell index, error name, value and
        traceback, and ``output`` keeps the executed notebook for inspection.
    """
    import papermill as pm
    from jupyter_client.kernelspec import NoSuchKernel

    if kernel_name is not None and kernel_name not in installed_kernels():
        raise InvalidSpec(
            f"kernel {kernel_name!r} is not installed; installed kernels: "
            f"{', '.join(installed_kernels()) or 'none'}"
        )
    try:
        pm.execute_notebook(
            str(path), str(output), parameters=dict(parameters or {}),
            kernel_name=kernel_name, cwd=str(cwd) if cwd else None,
            progress_bar=progress_bar, log_output=False,
            stdout_file=stream_to[0] if stream_to else None,
            stderr_file=stream_to[1] if stream_to else None,
        )
    except NoSuchKernel as exc:
        raise InvalidSpec(
            f"the notebook's kernel is not installed ({exc}); installed kernels: "
            f"{', '.join(installed_kernels()) or 'none'}"
        ) from exc
    except pm.PapermillExecutionError as exc:
        details = {
            "cell": exc.exec_count,
            "cell_index": exc.cell_index,
            "ename": exc.ename,
            "evalue": exc.evalue,
            "traceback": exc.traceback,
            "executed_notebook": str(output),
        }
        raise ExecutionFailed(
            f"{Path(path).name} failed in cell {exc.cell_index + 1}: {exc.ename}: {exc.evalue} "
            f"(executed notebook kept at {output})",
            details=details,
        ) from exc
    return Path(output)
