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
              notebook: Any) -> tuple[Any, dict[str, bytes], Any, Any]:
    """``(report, profile files, lineage, dataset fingerprint)`` of a registration.

    ``evaluation`` (a report from :func:`~jupyter_bighead.evaluation.evaluate`) is
    stored as given; else ``X_valid`` and ``y_valid`` are evaluated now, beside
    capturing the lineage and fingerprint; without them there is no report.

    Raises
    ------
    InvalidSpec
        For an evaluation that is not a report or covers other rows, or data the
        evaluation refuses.
    """
    import jupyter_bighead.registry.lineage as L

    from ..evaluation.profiles import profile_file
    from ..evaluation.report import evaluate_with_scores

    def facts() -> tuple[Any, Any]:
        return L.lineage(notebook), (None if X_valid is None
                                     else L.dataset_fingerprint(X_valid, y_valid))

    if evaluation is not None:
        report = given_evaluation(evaluation, X_valid)
        lineage, dataset = facts()
        # The reference drift checks compare traffic with (#16), from the scores the
        # evaluation kept when X_valid is what it evaluated; else at most
        # PROFILE_ROWS_GIVEN rows are predicted again.
        scores = report.scores_for(X_valid)
        files = profile_file(model, X_valid, task=task, scores=scores,
                             **({} if scores is not None else {"max_rows": PROFILE_ROWS_GIVEN}))
        return report, files, lineage, dataset
    if X_valid is not None:
        # The evaluation (LightGBM's predict, off the GIL) and the waiting on git and
        # package metadata overlap; nothing recorded depends on the order.
        (report, scores), (lineage, dataset) = beside(
            lambda: evaluate_with_scores(model, X_valid, y_valid, task=task),
            facts, lambda _done: None)
        return report, profile_file(model, X_valid, task=task, scores=scores), lineage, dataset
    lineage, dataset = facts()
    return None, {}, lineage, dataset


def given_evaluation(report: Any, X_valid: Any) -> Any:
    """Check a precomputed evaluation against the validation data it must describe."""
    from ..evaluation.report import EvaluationReport

    if not isinstance(report, EvaluationReport):
        raise InvalidSpec("evaluation must be an EvaluationReport from evaluate(), not "
                          f"{type(report).__name__}")
    if X_valid is None:
        raise InvalidSpec("an evaluation needs the X_valid and y_valid it was computed on")
    if report.n_rows != len(X_valid):
        raise InvalidSpec(f"the evaluation covers {report.n_rows} rows but X_valid has "
                          f"{len(X_valid)}: evaluate this data, or leave evaluation out")
    return report
