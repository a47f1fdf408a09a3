from __future__ import annotations

import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.testing.executor import PROFILES  # the contract suite's profiles

from ..notebooks.helpers import code, write_nb


def make_local(tmp_path, **kw):
    from jupyter_bighead.jobs.local import LocalExecutor

    # One fake GPU, whatever the machine has: the "gpu" profile's jobs need one to run.
    kw.setdefault("gpus", ["GPU-test-0"])
    return LocalExecutor(home=BigheadHome(tmp_path / "home"), profiles=PROFILES, **kw)


def make_kubernetes(tmp_path, kube, **kw):
    from jupyter_bighead.jobs.kubernetes import KubernetesExecutor

    return KubernetesExecutor(home=BigheadHome(tmp_path / "home"), profiles=PROFILES,
                              namespace=kube.namespace, **kw)


# The contract suite runs over every executor backend. Kubernetes runs against a real
# kube-apiserver and controller-manager, with the TEST-ONLY node simulator standing in
# for the kubelet (tests/k8s/harness.py).
@pytest.fixture(params=["local", pytest.param("kubernetes", marks=pytest.mark.k8s)])
def executor(request, tmp_path):
    if request.param == "local":
        yield make_local(tmp_path)
        return
    ex = make_kubernetes(tmp_path, request.getfixturevalue("kube"))
    yield ex
    for record in ex.list(limit=10_000):
        if not record.final:
            ex.cancel(record.id)
    ex.close()


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
