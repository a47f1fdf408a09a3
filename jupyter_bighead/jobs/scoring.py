"""Batch scoring: ``jupyter bighead score MODEL_REF --input IN --output OUT``.

Reads parquet or CSV in chunks, fetches the model's features from the feature store
when the input carries only (entity, timestamp) columns, predicts with the registered
model, and writes the input columns plus ``prediction`` to parquet or CSV. The output
appears atomically, only when every chunk is done.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, InvalidSpec, NotFound
from ..models.predict import predict_frame  # the one prediction rule; old home too
from ..refs import parse_feature_ref, parse_model_ref, reading_stored_refs

__all__ = ["ScoreResult", "parse_model_ref", "predict_frame", "score", "score_job",
           "score_job_spec"]

if TYPE_CHECKING:
    import pandas as pd

    from ..registry import Registry
    from .spec import JobSpec

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


@dataclass(frozen=True)
class ScoreResult:
    model: str
    version: int
    rows: int
    output: Path
    features_fetched: tuple[str, ...]


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise InvalidSpec(f"{path.name}: use a .parquet or .csv file")


def _chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    import pandas as pd

    if _format(path) == "parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size):
            yield batch.to_pandas()
    else:
        yield from pd.read_csv(path, chunksize=chunk_size)


def _rows(path: Path) -> int | None:
    if _format(path) == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    return None


def score(
    model_ref: str,
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    chunk_size: int = 200_000,
    entity: str | None = None,
    timestamp: str | None = None,
    fetch_features: bool = True,
    force: bool = False,
    registry: Registry | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> ScoreResult:
    """Score ``input`` with the registered model ``model_ref`` into ``output``.

    Raises
    ------
    NotFound
        Unknown model, version or alias, or a missing input file.
    InvalidSpec
        A malformed reference or file type, or input lacking the model's columns (and
        no way to fetch them).
    Conflict
        ``output`` exists and ``force`` is false.
    """
    import pandas as pd

    if chunk_size < 1:
        raise InvalidSpec("chunk_size must be at least 1")
    source, target = Path(input), Path(output)
    if not source.is_file():
        raise NotFound(f"input {source} does not exist")
    out_format = _format(target)
    if target.exists() and not force:
        raise Conflict(f"refusing to overwrite {target}; pass force=True (--force)")
    name, version, alias = parse_model_ref(model_ref)
    if registry is None:
        from ..registry.default import default_registry

        registry = default_registry()
    mv = registry.get(name, version, alias=alias)
    model = registry.load(name, mv.version)
    inputs = [n for n, _d in mv.input_schema]

    total = _rows(source)
    done = 0
    fetched: tuple[str, ...] = ()
    # A fresh, exclusively created temporary file: O_EXCL never follows a symlink a
    # user planted at a fixed name, so nothing is written outside the output's folder.
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
    fh = os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW, 0o666),
                   "wb")
    writer = None
    try:
        for chunk in _chunks(source, chunk_size):
            absent = [n for n in inputs if n not in chunk.columns]
            if absent and fetch_features and mv.features:
                from ..features import FeatureRepo

                # mv.features are stored references (the old name@N form): read quietly
                names = {r: parse_feature_ref(r, warn=False).name for r in mv.features}
                refs = [r for r in mv.features if names[r] in absent]
                if refs:
                    repo = FeatureRepo()
                    with reading_stored_refs():
                        ts_col = timestamp or repo.get(refs[0]).source.timestamp
                    if ts_col in chunk.columns and (chunk[ts_col].dtype == object or
                                                    pd.api.types.is_string_dtype(chunk[ts_col])):
                        # CSV input: timestamps arrive as text.
                        try:
                            chunk[ts_col] = pd.to_datetime(chunk[ts_col])
                        except (ValueError, TypeError) as exc:
                            raise InvalidSpec(f"input column {ts_col!r} is not a date-time: "
                                              f"{exc}") from exc
                    with reading_stored_refs():
                        chunk = repo.materialize(chunk, refs, entity=entity,
                                                 timestamp=timestamp)
                    chunk = chunk.rename(columns={r: names[r] for r in refs})
                    fetched = tuple(refs)
            out = chunk.copy()
            out["prediction"] = predict_frame(model, mv, chunk)
            if out_format == "parquet":
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(out, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(fh, table.schema)
                writer.write_table(table)
            else:
                out.to_csv(fh, header=not done, index=False, encoding="utf-8")
            done += len(out)
            if progress:
                progress(done, total)
        if writer is not None:
            writer.close()
            writer = None
        if done == 0:  # an empty input still gives a well-formed, empty output
            empty = pd.DataFrame({"prediction": pd.Series([], dtype="float64")})
            if out_format == "csv":
                empty.to_csv(fh, index=False, encoding="utf-8")
            else:
                empty.to_parquet(fh)
        fh.close()
        os.replace(tmp, target)
    finally:
        if writer is not None:
            writer.close()
        fh.close()
        tmp.unlink(missing_ok=True)
    return ScoreResult(mv.name, mv.version, done, target, fetched)


def score_job(model_ref: str, input: str, output: str, **options: Any) -> dict[str, Any]:
    """Entry point for running batch scoring as a job (``JobSpec(function=...)``)."""
    from .metrics import log_metric

    result = score(model_ref, input, output, force=True, **options)
    log_metric("rows_scored", result.rows)
    return {"model": result.model, "version": result.version, "rows": result.rows,
            "output": str(result.output)}


def score_job_spec(model_ref: str, input: str, output: str, *, registry: Registry | None = None,
                   profile: str = "default", schedule: str | None = None,
                   **options: Any) -> JobSpec:
    """A :class:`JobSpec` that batch-scores ``input`` with a registered model.

    The job asks for the resources a registered pipeline declares (``resources()``,
    recorded with the version; nothing extra for a plain model), so the executor sizes
    it as serving does; submitting it fails clearly if the profile gives less.
    """
    from ..models.base import PIPELINE_FLAVOR
    from ..registry.api import pipeline_view
    from .spec import JobSpec

    name, version, alias = parse_model_ref(model_ref)
    if registry is None:
        from ..registry.default import default_registry

        registry = default_registry()
    reg = registry
    mv = reg.get(name, version, alias=alias)
    resources: dict[str, Any] = {}
    if mv.flavor == PIPELINE_FLAVOR:
        view = pipeline_view(reg, mv.name, mv.version) or {}
        declared = view.get("resources") or {}
        resources = {k: declared[k] for k in ("cpu", "memory") if declared.get(k)}
        if int(declared.get("gpu") or 0) > 0:
            resources["gpu"] = int(declared["gpu"])
    return JobSpec(function="jupyter_bighead.jobs.scoring:score_job",
                   parameters={"model_ref": model_ref, "input": str(input),
                               "output": str(output), **options},
                   profile=profile, schedule=schedule, resources=resources,
                   name=f"score-{name}")
