"""Contract suites for plugins: one per family, as pytest base classes.

A third party tests its plugin with the same checks the built-ins pass, by subclassing
the family's contract in its own test module and overriding one fixture::

    import pytest
    from jupyter_bighead.testing import ExecutorContract

    class TestSlurmExecutor(ExecutorContract):
        @pytest.fixture
        def executor(self, bighead_home, profiles):
            return SlurmExecutor(home=bighead_home, profiles=profiles)

========================  ===================================  ====================
family                    contract                             fixture to override
========================  ===================================  ====================
executor                  :class:`ExecutorContract`            ``executor``
deploy_target             :class:`DeployTargetContract`        ``deploy_target``
registry_store            :class:`RegistryStoreContract`       ``store_uri``
flavor                    :class:`FlavorContract`              ``flavor_model``
block                     :class:`BlockContract`               ``block``
feature_source            :class:`FeatureSourceContract`       ``write_source``
========================  ===================================  ====================

Each contract also checks that the plugin declares only known ``capabilities`` and
that :mod:`jupyter_bighead.plugins` lists and loads it under its registered name, the
``plugin_name`` fixture: by default an executor's or deploy target's ``name``, a
registry store's URI scheme, the entry point that installs a flavor or a block (``None``
for the built-in ones, which their own catalogs keep: nothing to check), and for a
feature source the kind its ``write_source`` gives. The executor contract builds a
second executor (as after a restart) with the ``executor_factory`` fixture: override it
when yours needs options beyond ``home`` and ``profiles``. These modules import pytest:
import them from tests only.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BlockContract",
    "DeployTargetContract",
    "ExecutorContract",
    "FeatureSourceContract",
    "FlavorContract",
    "RegistryStoreContract",
]

_WHERE = {
    "BlockContract": ".block",
    "DeployTargetContract": ".deploy_target",
    "ExecutorContract": ".executor",
    "FeatureSourceContract": ".feature_source",
    "FlavorContract": ".flavor",
    "RegistryStoreContract": ".registry_store",
}


def __getattr__(name: str) -> Any:
    # Each suite imports what its family needs (lightgbm, papermill...) only when asked.
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
