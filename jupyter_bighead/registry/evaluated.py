"""What a registration records about its validation data: the evaluation, the reference
profile of #16, the lineage and the data fingerprint (see :meth:`.Registry.register`)."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidSpec
from .beside import beside

#: A given evaluation whose scores are not known for ``X_valid``: at most this many rows
#: are predicted again for the reference profile.
PROFILE_ROWS_GIVEN = 20_000


def evaluated(model: Any, task: str | None, X_valid: Any, y_valid: Any, evaluation: Any,
              notebook: Any, *, model_digest: str | None = None, shap_rows: int | None = None
              ) -> tuple[Any, dict[str, bytes], Any, Any]:
    """``(report, profile files, lineage, dataset fingerprint)`` of a registration.

    ``evaluation`` (a report from :func:`~jupyter_bighead.evaluation.evaluate`) is
    stored as given; else ``X_valid`` and ``y_valid`` are evaluated now (``shap_rows``
    as there), beside capturing the lineage and fingerprint; without them there is no
    report. ``model_digest`` is the registered model's
    (:meth:`~jupyter_bighead.models.base.Dumped.digest`): a given evaluation made in this
    process must have evaluated that model on these rows.

    Raises
    ------
    InvalidSpec
        For an evaluation that is not a report, or describes other rows or another
        model; or data the evaluation refuses.
    """
    import jupyter_bighead.registry.lineage as L

    from ..evaluation.profiles import profile_file
    from ..evaluation.report import check_shap_rows, evaluate_with_scores

    def facts() -> tuple[Any, Any]:
        return L.lineage(notebook), (None if X_valid is None
                                     else L.dataset_fingerprint(X_valid, y_valid))

    shap_rows = check_shap_rows(shap_rows)
    if evaluation is not None:
        if shap_rows is not None:
            raise InvalidSpec("shap_rows sizes an evaluation made here; the given evaluation "
                              "has its own SHAP sample (pass shap_rows to evaluate instead)")
        report = given_evaluation(evaluation, X_valid, model_digest)
        lineage, dataset = facts()
        # The reference drift checks compare traffic with (#16), from the scores the
        # evaluation kept when it evaluated this model on these rows; else (a report
        # read back from storage) at most PROFILE_ROWS_GIVEN rows are predicted again.
        scores = report.scores_checked(model_digest)  # given_evaluation checked them
        files = profile_file(model, X_valid, task=task, scores=scores,
                             **({} if scores is not None else {"max_rows": PROFILE_ROWS_GIVEN}))
        return report, files, lineage, dataset
    if X_valid is not None:
        # The evaluation (LightGBM's predict, off the GIL) and the waiting on git and
        # package metadata overlap; nothing recorded depends on the order.
        (report, scores), (lineage, dataset) = beside(
            lambda: evaluate_with_scores(model, X_valid, y_valid, task=task,
                                         shap_rows=shap_rows),
            facts, lambda _done: None)
        return report, profile_file(model, X_valid, task=task, scores=scores), lineage, dataset
    if shap_rows is not None:
        raise InvalidSpec("shap_rows sizes the evaluation of X_valid and y_valid: pass them too")
    lineage, dataset = facts()
    return None, {}, lineage, dataset


def given_evaluation(report: Any, X_valid: Any, model_digest: str | None = None) -> Any:
    """Check a precomputed evaluation against the validation data and the model it must
    describe (see :meth:`~jupyter_bighead.evaluation.EvaluationReport.mismatch`)."""
    from ..evaluation.report import EvaluationReport

    if not isinstance(report, EvaluationReport):
        raise InvalidSpec("evaluation must be an EvaluationReport from evaluate(), not "
                          f"{type(report).__name__}")
    if X_valid is None:
        raise InvalidSpec("an evaluation needs the X_valid and y_valid it was computed on")
    why = report.mismatch(X_valid, model_digest)
    if why is not None:
        raise InvalidSpec(f"{why}: evaluate again, or leave evaluation out")
    return report
