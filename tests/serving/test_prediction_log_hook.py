"""The server's prediction log (#16): off by default, and when on every predicted row
reaches the log, a hot swap flushes the old version's rows, and /metrics shows its
counters."""

from __future__ import annotations

from jupyter_bighead.predlog import SCORE, read_predictions
from jupyter_bighead.serving.runtime.holder import ModelHolder, ServeOptions

from .conftest import instances, training_frame


def test_the_prediction_log_is_off_by_default(registry):
    holder = ModelHolder(ServeOptions("clf@production"), registry=registry)
    holder.reload(force=True)
    assert holder.current is not None and holder.current.log is None


def test_logged_rows_are_the_predicted_rows_and_a_swap_flushes_them(registry, tmp_path):
    X, _y = training_frame()
    holder = ModelHolder(ServeOptions("clf:1", prediction_log=str(tmp_path / "log")),
                         registry=registry)
    holder.reload(force=True)
    served = holder.current
    assert served is not None and served.log is not None
    rows = served.schema.rows_from_instances(instances(X[:5]))
    scores = served.predict_rows(rows)
    assert any("bighead_prediction_log_rows_total" in line for line in served.log.prometheus())
    holder.reload(force=True)  # the swap closes (flushes) the old version's log
    assert holder.current is not served and served.log is not None
    frame = read_predictions(tmp_path / "log", "clf", 1)
    assert len(frame) == 5
    assert sorted(frame[SCORE].tolist()) == sorted(scores)
    assert sorted(frame["f0"].tolist()) == sorted(X["f0"][:5].tolist())
    holder.current.log.close()
