"""Registration overlaps its evaluation with capturing lineage and the data fingerprint
(:mod:`jupyter_bighead.registry.beside`): the record is the same, a failure leaves
nothing behind and reports the same error as one after the other; the reference
profile (#16) is built from the evaluation's own scores, not a second prediction."""

from __future__ import annotations

import threading

import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.registry import Registry
from jupyter_bighead.registry.beside import beside


def _model_folders(reg: Registry) -> list[str]:
    return sorted(str(p.relative_to(reg.artifacts.root)) for p in reg.artifacts.root.glob("*/*")
                  if p.is_dir())


def test_a_registration_whose_evaluation_fails_leaves_no_files_and_no_version(
        tmp_path, classifier, data):
    X, y = data
    reg = Registry(tmp_path / "reg")
    with pytest.raises(InvalidSpec, match="binary"):
        reg.register("m", classifier, X_valid=X, y_valid=y.replace({1: 7}))
    assert _model_folders(reg) == []
    mv = reg.register("m", classifier, X_valid=X, y_valid=y)
    assert mv.version == 1 and len(_model_folders(reg)) == 1


def test_the_overlapped_record_equals_the_evaluation_computed_alone(tmp_path, classifier,
                                                                     data):
    from jupyter_bighead.evaluation import evaluate

    X, y = data
    reg = Registry(tmp_path / "reg")
    mv = reg.register("m", classifier, X_valid=X, y_valid=y)
    alone = evaluate(classifier, X, y).to_dict()
    assert reg.evaluation("m", mv.version).to_dict() == alone
    assert mv.dataset["rows"] == len(X) and mv.lineage["packages"]["lightgbm"]
    assert reg.load("m", mv.version).predict_proba(X).tolist() == \
        classifier.predict_proba(X).tolist()


def test_beside_runs_both_at_once_and_keeps_the_sequential_error_order():
    both = threading.Barrier(2, timeout=10)  # each side waits for the other: concurrency
    undone = []
    assert beside(lambda: (both.wait(), "main")[1], lambda: (both.wait(), "side")[1],
                  undone.append) == ("main", "side")

    def boom():
        raise ValueError("main failed")

    with pytest.raises(ValueError, match="main failed"):
        beside(boom, lambda: "written", undone.append)
    assert undone == ["written"]  # main's error wins; what the side did is undone

    def side_boom():
        raise KeyError("side failed")

    with pytest.raises(ValueError, match="main failed"):
        beside(boom, side_boom, undone.append)
    with pytest.raises(KeyError, match="side failed"):
        beside(lambda: "main", side_boom, undone.append)
    assert undone == ["written"]


def test_the_reference_profile_is_stored_from_the_evaluation_scores(tmp_path, classifier,
                                                                      data):
    import json

    from jupyter_bighead.evaluation import evaluate
    from jupyter_bighead.evaluation.profiles import PROFILE_FILE, profile_for_model
    from jupyter_bighead.monitoring.check import reference_profile

    X, y = data
    reg = Registry(tmp_path / "reg")
    mv = reg.register("m", classifier, X_valid=X, y_valid=y)
    assert PROFILE_FILE in {a.path for a in mv.artifacts}
    # The same profile as predicting the rows again would give.
    stored = reference_profile(reg, "m", mv.version, monitor_root=tmp_path / "none")
    assert stored == json.loads(json.dumps(profile_for_model(classifier, X, task="binary")))
    given = reg.register("m", classifier, X_valid=X, y_valid=y,
                         evaluation=evaluate(classifier, X, y))
    assert PROFILE_FILE in {a.path for a in given.artifacts}
    bare = reg.register("m", classifier)
    assert PROFILE_FILE not in {a.path for a in bare.artifacts}


def test_registering_a_shown_evaluation_reuses_its_scores_for_that_model_and_those_rows(
        tmp_path, classifier, data, monkeypatch):
    """The Register button after ``bh.evaluate``: the evaluation kept its scores in memory,
    so the reference profile needs no second prediction, and is the same as from
    scratch; an evaluation of other rows or of another model is refused, since its
    metrics (and scores) would describe something else."""
    import json

    import lightgbm as lgb

    from jupyter_bighead.errors import InvalidSpec
    from jupyter_bighead.evaluation import EvaluationReport, evaluate
    from jupyter_bighead.monitoring.check import reference_profile

    X, y = data
    reg = Registry(tmp_path / "reg")
    scratch = reg.register("m", classifier, X_valid=X, y_valid=y)
    shown = evaluate(classifier, X, y)
    assert "scores" not in shown.to_dict() and shown == EvaluationReport.from_dict(shown.to_dict())
    calls = []
    real = type(classifier).predict_proba
    monkeypatch.setattr(type(classifier), "predict_proba",
                        lambda self, *a, **k: (calls.append(len(a[0])), real(self, *a, **k))[1])
    again = reg.register("m", classifier, X_valid=X.copy(), y_valid=y, evaluation=shown)
    assert calls == []  # not predicted again
    assert reference_profile(reg, "m", again.version, monitor_root=tmp_path / "n") == \
        reference_profile(reg, "m", scratch.version, monitor_root=tmp_path / "n")
    versions = len(reg.versions("m").items)
    changed = X.copy()
    changed.iloc[0, 0] = changed.iloc[0, 0] + 1.0  # same length, other values
    retyped = X.astype({"a": "float32"})
    for rows in (changed, retyped, X[list(reversed(X.columns))].set_axis(X.columns, axis=1)):
        with pytest.raises(InvalidSpec, match="X_valid changed since the evaluation"):
            reg.register("m", classifier, X_valid=rows, y_valid=y, evaluation=shown)
    other = lgb.LGBMClassifier(n_estimators=7, num_leaves=5, verbose=-1).fit(X, y)
    with pytest.raises(InvalidSpec, match="another model"):
        reg.register("m", other, X_valid=X, y_valid=y, evaluation=shown)
    # the notebook flow: evaluate, fit again, then click Register
    refit = lgb.LGBMClassifier(n_estimators=15, num_leaves=7, verbose=-1).fit(X, y)
    before = evaluate(refit, X, y)
    refit.fit(X.iloc[:300], y.iloc[:300])
    with pytest.raises(InvalidSpec, match="another model"):
        reg.register("m", refit, X_valid=X, y_valid=y, evaluation=before)
    assert len(reg.versions("m").items) == versions  # nothing stored by the refusals
    # a report read back from storage knows only its row count: stored, profile re-predicted
    stored = EvaluationReport.from_dict(json.loads(json.dumps(shown.to_dict())))
    calls.clear()
    reg.register("m", classifier, X_valid=X, y_valid=y, evaluation=stored)
    assert calls == [len(X)]


def test_the_model_digest_is_stable_for_the_same_model_and_moves_with_it(classifier, data):
    from jupyter_bighead.evaluation.report import model_digest
    from jupyter_bighead.models import dump_model

    X, y = data
    assert model_digest(classifier) == model_digest(classifier) == \
        dump_model(classifier).digest()
    import lightgbm as lgb

    other = lgb.LGBMClassifier(n_estimators=15, num_leaves=7, verbose=-1, seed=1,
                               colsample_bytree=0.5).fit(X, y)
    assert model_digest(other) != model_digest(classifier)
    assert model_digest(object()) is None  # not storable: nothing to compare, nothing reused
