"""Registers one tiny model; run as a script by the concurrency and crash tests.

The model is a test-only flavor (a few bytes), not a LightGBM model: these tests are
about the registry's write path, and eight interpreters importing LightGBM at once
would make them slow on a small machine.

Usage: ``python _register_worker.py LOCATION ARTIFACTS|"" NAME [GO_FILE]``. With
``GO_FILE`` the worker gets everything ready, then waits for that file to appear,
so that several workers hit the registry at the same moment. Prints the version.
"""

from __future__ import annotations

import os
import sys
import time


class Tiny:
    def predict(self, X):
        return [0.5 for _ in X]


def _tiny_flavor():
    from jupyter_bighead.registry.flavors import Dumped, Flavor, ModelInfo

    class TinyFlavor(Flavor):
        name = "test.tiny"
        handles_description = "Tiny (tests only)"

        def handles(self, model):
            return isinstance(model, Tiny)

        def info(self, model):
            return ModelInfo(self.name, "tests.Tiny", "binary", ("x",))

        def dump(self, model, prefix):
            return Dumped({f"{prefix}tiny.txt": b"tiny"}, {"file": f"{prefix}tiny.txt"})

        def load(self, wrapper, read):
            assert read(wrapper["file"]) == b"tiny"
            return Tiny()

    return TinyFlavor()


def main() -> None:
    from jupyter_bighead.registry import Registry, register_flavor

    register_flavor(_tiny_flavor())
    location, artifacts, name = sys.argv[1], sys.argv[2] or None, sys.argv[3]
    go = sys.argv[4] if len(sys.argv) > 4 else None
    model = Tiny()
    reg = Registry(location, artifacts)
    if go:
        open(go + f".ready.{os.getpid()}", "w").close()
        deadline = time.monotonic() + 120
        while not os.path.exists(go):
            if time.monotonic() > deadline:
                sys.exit("never got the go signal")
            time.sleep(0.005)
    print(reg.register(name, model).version)


if __name__ == "__main__":
    main()
