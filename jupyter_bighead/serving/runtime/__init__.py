"""The serving runtime: everything that runs inside one model-server process.

* :mod:`.server`: the tornado application and :func:`~.server.serve` (what
  ``jupyter bighead serve MODEL_REF`` runs);
* :mod:`.holder`: :class:`~.holder.ServeOptions` and the :class:`~.holder.ModelHolder`
  that swaps the served model whole on reload;
* :mod:`.handlers`: the KServe v1 / Open Inference Protocol v2 request handlers;
* :mod:`.model`, :mod:`.schema`, :mod:`.v2`: the served model, request validation and
  the v2 tensor codec; :mod:`.metrics` (Prometheus) and :mod:`.workers` (``--workers N``).

The runtime imports nothing from the control plane (:mod:`..deploy`, :mod:`..local`,
:mod:`..kubernetes`). Importing this package is light: each module imports tornado,
numpy or LightGBM itself.
"""
