"""The feature source contract (jupyter_bighead.testing.FeatureSourceContract) over the
built-in kinds: a parquet file, a folder of parquet files, a CSV file, a DuckDB query."""

from __future__ import annotations

import itertools

import pytest

from jupyter_bighead.features import EventSource
from jupyter_bighead.testing.feature_source import FeatureSourceContract

_n = itertools.count()


class TestParquetFile(FeatureSourceContract):
    @pytest.fixture
    def write_source(self, tmp_path):
        def write(frame, name):
            path = tmp_path / f"events-{next(_n)}.parquet"
            frame.to_parquet(path, index=False)
            return EventSource(name, path=str(path), entity="user_id", timestamp="ts")
        return write


class TestParquetFolder(FeatureSourceContract):
    @pytest.fixture
    def write_source(self, tmp_path):
        def write(frame, name):
            folder = tmp_path / f"events-{next(_n)}"
            folder.mkdir()
            frame.iloc[:3].to_parquet(folder / "part-0.parquet", index=False)
            frame.iloc[3:].to_parquet(folder / "part-1.parquet", index=False)
            source = EventSource(name, path=str(folder), entity="user_id", timestamp="ts")
            assert source.kind == "parquet_dir"
            return source
        return write


class TestCsvFile(FeatureSourceContract):
    @pytest.fixture
    def write_source(self, tmp_path):
        def write(frame, name):
            path = tmp_path / f"events-{next(_n)}.csv"
            frame.to_csv(path, index=False)
            return EventSource(name, path=str(path), entity="user_id", timestamp="ts")
        return write


class TestDuckdbQuery(FeatureSourceContract):
    @pytest.fixture
    def write_source(self, tmp_path):
        pytest.importorskip("duckdb")

        def write(frame, name):
            path = tmp_path / f"events-{next(_n)}.parquet"
            frame.to_parquet(path, index=False)
            return EventSource(name, query=f"SELECT * FROM read_parquet('{path}')",
                               entity="user_id", timestamp="ts")
        return write
