"""Batch scoring: ``jupyter bighead score MODEL_REF --input IN --output OUT``.

Reads parquet or CSV (a file, or a folder of parquet files) in chunks, fetches the
model's features from the feature store when the input carries only (entity,
timestamp) columns, predicts with the registered model, and writes the input columns
plus ``prediction`` to parquet or CSV. The output appears atomically, only when every
chunk is done. With a Dask cluster (``cluster=``, ``--cluster``) the chunks are scored
on the workers (:mod:`.scoring_dask`); the per-chunk code is :mod:`.scoring_chunk`.
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
from ..refs import parse_model_ref
from .scoring_chunk import (
    ChunkScorer,
    check_replaceable,
    chunk_table,
    data_format,
    parquet_files,
    read_chunks,
    remove_output,
)

__all__ = ["ScoreResult", "parse_model_ref", "predict_frame", "score", "score_job",
           "score_job_spec"]

if TYPE_CHECKING:
    import pandas as pd

    from ..registry import ModelVersion, Registry
    from .spec import JobSpec

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


@dataclass(frozen=True)
class ScoreResult:
    model: str
    version: int
    rows: int
    output: Path
    features_fetched: tuple[str, ...]


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
    cluster: Any = None,
    prediction_log: str | os.PathLike[str] | None = None,
    log_sample_rate: float = 1.0,
) -> ScoreResult:
    """Score ``input`` with the registered model ``model_ref`` into ``output``.

    ``input`` is a parquet or CSV file, or a folder of parquet files (a partitioned
    dataset, read in sorted path order). ``cluster`` is the Dask setting
    (:mod:`jupyter_bighead.cluster`: ``None`` reads ``$BIGHEAD_DASK``, ``"none"``,
    ``"local"``, a scheduler address, or a ``distributed.Client``). With a cluster, the
    parquet input's row groups are scored on the workers by the same per-chunk code and
    ``output`` is a folder of parquet files whose concatenation, in name order, equals
    the single-process output bit for bit (see :mod:`.scoring_dask`). A cluster that
    comes from ``$BIGHEAD_DASK`` is not used for CSV input or output.

    ``prediction_log`` (a folder) logs every scored row, with the model's inputs after
    any feature fetch, for drift monitoring (:mod:`jupyter_bighead.predlog`), sampled at
    ``log_sample_rate``; request ids are ``batch-<run>-<chunk>-<row>``.

    Raises
    ------
    NotFound
        Unknown model, version or alias, or a missing input file.
    InvalidSpec
        A malformed reference or file type, input lacking the model's columns (and
        no way to fetch them), a bad cluster setting, or CSV with an explicit cluster.
    Conflict
        ``output`` exists and ``force`` is false.
    Unavailable
        No Dask scheduler answers at the configured address.
    """
    from ..cluster import resolve

    if chunk_size < 1:
        raise InvalidSpec("chunk_size must be at least 1")
    source, target = Path(input), Path(output)
    if not (source.is_file() or source.is_dir()):
        raise NotFound(f"input {source} does not exist")
    setting = resolve(cluster)
    csv = (not source.is_dir() and data_format(source) == "csv") or (
        target.suffix.lower() in (".csv", ".txt"))
    if setting.distributed and csv:
        if setting.source == "argument":
            raise InvalidSpec("scoring on a Dask cluster reads and writes parquet only "
                              "(a .parquet file or a folder of them)")
        setting = resolve("none")  # $BIGHEAD_DASK: CSV stays single-process
    if not setting.distributed:
        data_format(target)
    if (target.exists() or target.is_symlink()) and not force:
        raise Conflict(f"refusing to overwrite {target}; pass force=True (--force)")
    check_replaceable(target)
    name, version, alias = parse_model_ref(model_ref)
    if registry is None:
        from ..registry.default import default_registry

        registry = default_registry()
    mv = registry.get(name, version, alias=alias)
    features_path = None
    if fetch_features and mv.features and setting.distributed:
        from ..config import BigheadHome

        features_path = str(BigheadHome.resolve().features)  # the workers' repo
    if not 0.0 <= log_sample_rate <= 1.0:
        raise InvalidSpec(f"log_sample_rate must be in [0, 1], not {log_sample_rate!r}")
    scorer = ChunkScorer(tuple(n for n, _d in mv.input_schema), tuple(mv.features),
                         fetch_features, entity, timestamp, features_path,
                         None if prediction_log is None else str(Path(prediction_log).resolve()),
                         log_sample_rate)
    if setting.distributed:
        from .scoring_dask import score_on_cluster

        rows, fetched = score_on_cluster(setting, registry, mv, scorer, source, target,
                                         chunk_size=chunk_size, progress=progress)
        return ScoreResult(mv.name, mv.version, rows, target, fetched)
    rows, fetched = _score_here(registry.load(name, mv.version), mv, scorer, source, target,
                                chunk_size, progress)
    return ScoreResult(mv.name, mv.version, rows, target, fetched)


def _input_chunks(source: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    for path in parquet_files(source) if source.is_dir() else [source]:
        yield from read_chunks(path, chunk_size)


def _input_rows(source: Path) -> int | None:
    import pyarrow.parquet as pq

    if source.is_dir():
        return sum(int(pq.read_metadata(p).num_rows) for p in parquet_files(source))
    if data_format(source) == "parquet":
        return int(pq.read_metadata(source).num_rows)
    return None


def _score_here(model: Any, mv: ModelVersion, scorer: ChunkScorer, source: Path, target: Path,
                chunk_size: int, progress: Callable[[int, int | None], None] | None,
                ) -> tuple[int, tuple[str, ...]]:
    """The single-process scorer: chunk by chunk into one file, renamed into place."""
    import pandas as pd

    out_format = data_format(target)
    total = _input_rows(source)
    done = 0
    fetched: tuple[str, ...] = ()
    # A fresh, exclusively created temporary file: O_EXCL never follows a symlink a
    # user planted at a fixed name, so nothing is written outside the output's folder.
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
    fh = os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW, 0o666),
                   "wb")
    writer = None
    log = scorer.open_log(mv)
    run = f"batch-{secrets.token_hex(4)}"
    try:
        for number, chunk in enumerate(_input_chunks(source, chunk_size)):
            out, got = scorer.score(chunk, model, mv)
            scorer.log_chunk(log, out, f"{run}-{number}")
            fetched = got or fetched
            if out_format == "parquet":
                import pyarrow.parquet as pq

                table = chunk_table(out, None if writer is None else writer.schema)
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
        if target.is_dir() and not target.is_symlink():  # force over a scored folder
            remove_output(target)
        os.replace(tmp, target)
    finally:
        if log is not None:
            log.close()
        if writer is not None:
            writer.close()
        fh.close()
        tmp.unlink(missing_ok=True)
    return done, fetched


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
