"""The contract suites' own fixtures do what their documentation says: a second executor
is built by ``executor_factory``, every family checks the plugin under its registered
name, and the registry store's concurrency checks catch a store that is not shared."""

from __future__ import annotations

import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.jobs.local import LocalExecutor
from jupyter_bighead.testing._common import check_registered, entry_point_name
from jupyter_bighead.testing.executor import PROFILES, ExecutorContract, write_notebook


class QueuedExecutor(LocalExecutor):
    """A local executor that cannot be built without its ``queue`` option."""

    def __init__(self, *, queue: str, **kwargs):
        super().__init__(**kwargs)
        self.queue = queue


def test_the_restart_check_builds_the_second_executor_with_the_factory(tmp_path):
    home = BigheadHome(tmp_path / "home")
    executor = QueuedExecutor(queue="night", home=home, profiles=PROFILES)
    with pytest.raises(TypeError):  # what the contract did before the factory
        type(executor)(home=home, profiles=executor.profiles)
    built = []

    def factory(home_: BigheadHome) -> QueuedExecutor:
        built.append(home_)
        return QueuedExecutor(queue="night", home=home_, profiles=PROFILES)

    write_notebook(tmp_path / "nbs" / "train.ipynb", [
        ("alpha = 0.5\nrounds = 2", ("parameters",)),
        ("from jupyter_bighead.jobs import log_metric\nlog_metric('score', alpha * rounds)", ()),
    ])
    try:
        ExecutorContract().test_state_survives_an_executor_restart(
            executor, tmp_path / "nbs", factory)
    finally:
        executor.close()
    assert built == [home]


def test_a_plugin_is_checked_under_its_registered_name(thirdparty):
    from bighead_thirdparty.blocks import Negate
    from bighead_thirdparty.executor import SubprocessExecutor

    check_registered("executor", "thirdparty", SubprocessExecutor)
    check_registered("executor", "local", LocalExecutor)
    with pytest.raises(AssertionError, match="not among the executor plugins"):
        check_registered("executor", "slurm", SubprocessExecutor)
    with pytest.raises(AssertionError, match="gave"):
        check_registered("executor", "local", SubprocessExecutor)
    assert entry_point_name("block", Negate) == "Negate"
    assert entry_point_name("block", LocalExecutor) is None
    check_registered("block", None, LocalExecutor)  # a built-in: nothing to check


def test_a_store_that_claims_shared_but_is_not_fails_the_process_check(thirdparty, tmp_path,
                                                                       monkeypatch):
    import uuid

    from bighead_thirdparty.store import MemoryStore

    from jupyter_bighead.testing.registry_store import (
        RegistryStoreContract,
        _models,
        open_registry,
    )

    # In this process only: the children open a store of their own, as an unshared
    # store that declared "shared" would.
    monkeypatch.setattr(MemoryStore, "capabilities", frozenset({"shared", "transactions"}))
    uri = f"memory://claims-{uuid.uuid4().hex[:8]}"
    reg = open_registry(uri, tmp_path / "art", {})
    try:
        with pytest.raises(AssertionError, match="must number them across processes"):
            RegistryStoreContract().test_registrations_from_several_processes_get_distinct_versions(
                reg, _models()["booster"], uri, {}, tmp_path / "art")
    finally:
        reg.close()
