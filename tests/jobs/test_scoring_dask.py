"""Batch scoring on a Dask cluster: the parts, read in name order, are the
single-process scorer's output bit for bit, and a failure leaves no output."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.jobs.scoring import score
from jupyter_bighead.registry import Registry

from ..dask_cluster import shared_client

CATS = ["ant", "bee", "cat", "dog", "eel"]


def frame(rng: np.random.Generator, n: int, cats: list[str] = CATS) -> pd.DataFrame:
    a = rng.normal(size=n)
    a[rng.random(n) < 0.1] = np.nan  # nulls in a model column
    note = rng.choice(np.array(["x", "y", None], dtype=object), size=n)  # nullable text
    return pd.DataFrame({
        "id": np.arange(n, dtype=np.int64) + rng.integers(0, 10**6),
        "a": a,
        "b": rng.normal(size=n).astype(np.float32),
        "kind": pd.Categorical(rng.choice(cats, size=n), categories=cats),
        "note": note,
    })


@pytest.fixture(scope="module")
def client():
    return shared_client()


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    import lightgbm as lgb

    rng = np.random.default_rng(7)
    X = frame(rng, 3000)
    y = ((np.nan_to_num(X.a) + X.b + X.kind.cat.codes.to_numpy() / 3) > 0.7).astype(int)
    features = X[["a", "b", "kind"]]
    fitted = lgb.LGBMClassifier(n_estimators=20, num_leaves=15, verbose=-1).fit(features, y)
    root = tmp_path_factory.mktemp("dask-registry")
    reg = Registry(f"sqlite:///{root / 'registry.db'}", artifacts=root / "artifacts")
    reg.register("dasky", fitted, X_valid=features, y_valid=y)
    return reg


def write_dataset(folder: Path, sizes: list[int], row_group_size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    folder.mkdir()
    # One schema for the dataset, as a real partitioned dataset has.
    schema = pa.Table.from_pandas(frame(rng, 50), preserve_index=False).schema
    for i, n in enumerate(sizes):
        # Each file's categorical knows only the categories it uses (unequal dictionaries).
        part = frame(rng, n)
        part["kind"] = part.kind.cat.remove_unused_categories()
        pq.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False),
                       folder / f"f{i:02d}.parquet", row_group_size=row_group_size)


def assert_identical(single: Path, parts: Path) -> None:
    names = sorted(p.name for p in parts.iterdir())
    assert names and all(n.startswith("part-") for n in names)
    one = pq.read_table(single)
    many = pa.concat_tables([pq.read_table(parts / n) for n in names])
    assert one.schema.equals(many.schema, check_metadata=False)
    left, right = one.to_pandas(), many.to_pandas()
    pd.testing.assert_frame_equal(left, right, check_exact=True)
    # Bit for bit: the predictions' bytes, not just equal floats.
    assert left.prediction.to_numpy().tobytes() == right.prediction.to_numpy().tobytes()
    # And as a dataset folder, the way readers see it.
    pd.testing.assert_frame_equal(pd.read_parquet(parts), left, check_exact=True,
                                  check_categorical=False)


@pytest.mark.parametrize(("sizes", "row_group_size", "chunk_size"), [
    ([1, 517, 0, 1203, 38], 100, 64),       # several files, uneven, one empty
    ([2500], 333, 1000),                     # one file, several row groups
    ([7, 900], 10_000, 200_000),             # row groups bigger than the chunks
])
def test_cluster_scoring_equals_single_process_bit_for_bit(client, model, tmp_path, sizes,
                                                           row_group_size, chunk_size):
    data = tmp_path / "in"
    write_dataset(data, sizes, row_group_size, seed=sum(sizes))
    seen: list[tuple[int, int | None]] = []
    single = score("dasky", data, tmp_path / "one.parquet", registry=model,
                   chunk_size=chunk_size, cluster="none")
    spread = score("dasky", data, tmp_path / "many.parquet", registry=model,
                   chunk_size=chunk_size, cluster=client,
                   progress=lambda done, total: seen.append((done, total)))
    assert (tmp_path / "many.parquet").is_dir()
    assert spread.rows == single.rows == sum(sizes)
    assert seen[-1] == (sum(sizes), sum(sizes))
    assert_identical(tmp_path / "one.parquet", tmp_path / "many.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "many.parquet", "one.parquet"]


def test_a_single_file_input_and_a_forced_rescore_replace_the_folder(client, model, tmp_path):
    rng = np.random.default_rng(3)
    pq.write_table(pa.Table.from_pandas(frame(rng, 1500), preserve_index=False),
                   tmp_path / "in.parquet", row_group_size=400)
    score("dasky", tmp_path / "in.parquet", tmp_path / "one.parquet", registry=model,
          cluster="none")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "part-000099.parquet").write_bytes(b"stale")
    score("dasky", tmp_path / "in.parquet", tmp_path / "out", registry=model, cluster=client,
          force=True)
    assert len(list((tmp_path / "out").iterdir())) == 4  # one part per row group
    assert_identical(tmp_path / "one.parquet", tmp_path / "out")


def test_a_failing_partition_leaves_no_output_folder(client, model, tmp_path):
    data = tmp_path / "in"
    write_dataset(data, [300, 300, 300], 100, seed=1)
    broken = pd.read_parquet(data / "f01.parquet").drop(columns=["b"])  # lacks a model column
    broken.to_parquet(data / "f01.parquet")
    with pytest.raises(InvalidSpec, match="lacks the model's columns"):
        score("dasky", data, tmp_path / "out.parquet", registry=model, cluster=client,
              fetch_features=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no output, no temp folder


def test_a_folder_that_is_not_a_scored_dataset_is_never_replaced(client, model, tmp_path):
    data = tmp_path / "in"
    write_dataset(data, [50], 100, seed=2)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    from jupyter_bighead.errors import Conflict

    with pytest.raises(Conflict):
        score("dasky", data, tmp_path / "mine", registry=model, cluster=client, force=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_csv_with_an_explicit_cluster_is_refused(client, model, tmp_path):
    frame(np.random.default_rng(0), 10).to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(InvalidSpec, match="parquet only"):
        score("dasky", tmp_path / "in.csv", tmp_path / "out.parquet", registry=model,
              cluster=client)


def test_cli_score_takes_a_cluster_setting(client, model, tmp_path):
    data = tmp_path / "in"
    write_dataset(data, [40, 60], 25, seed=5)
    reg_uri = model.store.uri
    cmd = [sys.executable, "-m", "jupyter_bighead.cli", "score", "dasky", "--input", str(data),
           "--output", str(tmp_path / "out"), "--cluster", client.scheduler.address,
           "--quiet", "--registry", reg_uri]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["rows"] == 100
    score("dasky", data, tmp_path / "one.parquet", registry=model, cluster="none")
    assert_identical(tmp_path / "one.parquet", tmp_path / "out")


def test_features_fetched_on_the_workers_equal_the_single_process_lookup(client, tmp_path):
    import lightgbm as lgb

    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.demo import create_demo_workspace
    from jupyter_bighead.features import FeatureRepo

    names = ["bookings_30d_count", "views_7d_count"]
    ws = create_demo_workspace(tmp_path / "ws")
    home = BigheadHome(ws.home).ensure()
    repo = FeatureRepo(home.features)
    labels = pd.read_parquet(ws.root / "data" / "labels.parquet")
    training = repo.materialize(labels, names, entity="user_id", timestamp="ts")
    fitted = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(training[names],
                                                                 training.label)
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    reg.register("fetcher", fitted, features=[f"{n}:1" for n in names])
    keys = tmp_path / "keys"
    keys.mkdir()
    spine = labels[["user_id", "ts"]]
    cuts = [0, len(spine) // 5, len(spine) // 2, len(spine)]
    for i, (lo, hi) in enumerate(itertools.pairwise(cuts)):
        part = spine.iloc[lo:hi]
        part.to_parquet(keys / f"k{i}.parquet", row_group_size=max(1, len(part) // 2))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIGHEAD_HOME", str(home.root))  # the client's home; workers get its path
        one = score("fetcher", keys, tmp_path / "one.parquet", registry=reg, cluster="none",
                    entity="user_id", timestamp="ts", chunk_size=400)
        many = score("fetcher", keys, tmp_path / "many", registry=reg, cluster=client,
                     entity="user_id", timestamp="ts", chunk_size=400)
    assert one.features_fetched == many.features_fetched == tuple(f"{n}@1" for n in names)
    assert_identical(tmp_path / "one.parquet", tmp_path / "many")
    np.testing.assert_array_equal(pd.read_parquet(tmp_path / "many").prediction,
                                  fitted.predict_proba(training[names])[:, 1])


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(files=st.lists(st.lists(st.integers(1, 60), min_size=1, max_size=5), min_size=1,
                      max_size=6).filter(lambda f: 3 <= sum(map(len, f)) <= 17),
       chunk_size=st.integers(1, 150), seed=st.integers(0, 2**16))
def test_any_partitioning_scores_as_one_process(client, model, tmp_path_factory, files,
                                                chunk_size, seed):
    """3 to 17 row groups over 1 to 6 files of random sizes and any chunk size."""
    folder = tmp_path_factory.mktemp("prop")
    rng = np.random.default_rng(seed)
    data = folder / "in"
    data.mkdir()
    schema = pa.Table.from_pandas(frame(rng, 10), preserve_index=False).schema
    for i, groups in enumerate(files):
        with pq.ParquetWriter(data / f"p{i:02d}.parquet", schema) as writer:
            for rows in groups:  # one write, one row group
                writer.write_table(pa.Table.from_pandas(frame(rng, rows), schema=schema,
                                                        preserve_index=False))
    score("dasky", data, folder / "one.parquet", registry=model, cluster="none",
          chunk_size=chunk_size)
    score("dasky", data, folder / "many", registry=model, cluster=client,
          chunk_size=chunk_size)
    assert len(list((folder / "many").iterdir())) == sum(map(len, files))
    assert_identical(folder / "one.parquet", folder / "many")
