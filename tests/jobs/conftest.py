from __future__ import annotations

import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.jobs.spec import ComputeProfile

from ..notebooks.helpers import code, write_nb

PROFILES = {
    "default": ComputeProfile("default", cpu="2", memory="4Gi", gpu=0,
                              max_concurrent_per_user=3),
    "gpu": ComputeProfile("gpu", cpu="8", memory="32Gi", gpu=1, image="bighead/gpu:latest",
                          node_selector={"accelerator": "nvidia"},
                          tolerations=({"key": "nvidia.com/gpu", "operator": "Exists",
                                        "effect": "NoSchedule"},),
                          max_concurrent_per_user=1),
}


def make_local(tmp_path, **kw):
    from jupyter_bighead.jobs.local import LocalExecutor

    return LocalExecutor(home=BigheadHome(tmp_path / "home"), profiles=PROFILES, **kw)


# The contract suite runs over every executor backend. Kubernetes joins through
# tests/k8s (a real kube-apiserver) when its binaries are available.
@pytest.fixture(params=["local"])
def executor(request, tmp_path):
    if request.param == "local":
        yield make_local(tmp_path)


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "nbs"
    write_nb(folder / "train.ipynb", [
        code("alpha = 0.5\nrounds = 2", "parameters"),
        code("from jupyter_bighead.jobs import log_metric\n"
             "score = alpha * rounds\nlog_metric('score', score)\nprint('score is', score)"),
    ])
    write_nb(folder / "fails.ipynb", [code("x = 1"), code("raise RuntimeError('bad input data')")])
    write_nb(folder / "slow.ipynb", [code("import time\nprint('started', flush=True)\n"
                                          "time.sleep(120)")])
    return folder
