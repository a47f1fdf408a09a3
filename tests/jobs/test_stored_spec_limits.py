"""Job specs hold plain, bounded JSON and name a real notebook and kernel; stored
records that predate those checks never break a listing (Python API)."""

from __future__ import annotations

import json

import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.jobs.records import JobRecord, JobStore
from jupyter_bighead.jobs.schedules import ScheduleStore
from jupyter_bighead.jobs.spec import MAX_SPEC_BYTES, JobSpec
from jupyter_bighead.jobs.sweeps_service import SweepService

from ..notebooks.helpers import code, write_nb
from .conftest import make_local


@pytest.mark.parametrize("parameters", [{"x": float("nan")}, {"x": [1, float("inf")]},
                                        {"x": {"y": -float("inf")}}, {"x": object()}])
def test_parameters_that_are_not_plain_json_are_invalid_spec(parameters):
    with pytest.raises(InvalidSpec, match="parameters"):
        JobSpec(notebook="a.ipynb", parameters=parameters)


def test_labels_and_parameters_together_are_capped():
    JobSpec(notebook="a.ipynb", parameters={"x": "y" * (MAX_SPEC_BYTES - 200)})
    with pytest.raises(InvalidSpec, match=f"at most {MAX_SPEC_BYTES} bytes"):
        JobSpec(notebook="a.ipynb", parameters={"x": "y" * MAX_SPEC_BYTES})


@pytest.mark.parametrize("kernel", ["../../../etc", "a/b", "", ".hidden", "py\n", "x" * 200])
def test_kernel_must_be_a_kernelspec_name(kernel):
    with pytest.raises(InvalidSpec, match="kernelspec name"):
        JobSpec(notebook="a.ipynb", kernel=kernel)
    assert JobSpec(notebook="a.ipynb", kernel="conda-env-py3.11_x").kernel


@pytest.mark.parametrize("notebook", [".bighead/registry.db", "data.parquet", "nb.ipynb.txt"])
def test_notebook_must_be_an_ipynb(notebook):
    with pytest.raises(InvalidSpec, match=r"must be a \.ipynb file"):
        JobSpec(notebook=notebook)


def test_a_file_that_is_no_notebook_is_refused_at_submit_without_quoting_it(tmp_path):
    executor = make_local(tmp_path)
    fake = tmp_path / "fake.ipynb"
    fake.write_bytes(b"SQLite format 3\x00" + b"secret rows " * 10)
    with pytest.raises(InvalidSpec, match="not a valid notebook") as info:
        executor.submit(JobSpec(notebook=str(fake)))
    assert "SQLite" not in str(info.value) and "secret" not in str(info.value)
    assert executor.list() == []


def _poisoned_record(store: JobStore) -> str:
    record = JobRecord(id="old-20260101000000-abcdef", executor="local", state="failed",
                       spec=JobSpec(notebook="/x/a.ipynb", parameters={"x": 1.5}))
    store.save(record)
    path = store.folder(record.id) / "record.json"
    path.write_text(path.read_text().replace("1.5", "NaN"))
    return record.id


def test_a_stored_record_with_nan_lists_with_null_in_its_place(tmp_path):
    executor = make_local(tmp_path)
    job_id = _poisoned_record(executor.store)
    [record] = executor.list()
    assert record.id == job_id and record.spec.parameters == {"x": None}
    json.dumps(record.to_dict(), allow_nan=False)  # what the REST listing writes
    assert executor.status(job_id).spec.parameters == {"x": None}


def test_a_stored_schedule_with_infinity_lists(tmp_path):
    store = ScheduleStore(tmp_path / "schedules")
    store.create("nightly", JobSpec(notebook="/x/a.ipynb", schedule="0 3 * * *",
                                    parameters={"x": 2.5}), "me")
    path = tmp_path / "schedules" / "nightly.json"
    path.write_text(path.read_text().replace("2.5", "Infinity"))
    [item] = store.all()
    assert item.spec.parameters == {"x": None}


def test_list_brings_only_the_page_it_returns_up_to_date(tmp_path):
    executor = make_local(tmp_path)
    for i in range(5):
        executor.store.save(JobRecord(id=f"job-2026010100000{i}-abcdef", executor="local",
                                      spec=JobSpec(notebook="/x/a.ipynb"), state="failed",
                                      created=f"2026-01-01T00:00:0{i}"))
    seen: list[str] = []
    refresh = executor._refresh
    executor._refresh = lambda r: seen.append(r.id) or refresh(r)  # type: ignore[method-assign]
    page = executor.list(limit=2, offset=1)
    assert [r.id for r in page] == ["job-20260101000003-abcdef", "job-20260101000002-abcdef"]
    assert seen == [r.id for r in page]


def test_sweep_space_must_be_finite_bounded_json_and_lists_page(tmp_path):
    write_nb(tmp_path / "t.ipynb", [code("x = 1", "parameters")])
    service = SweepService(tmp_path / "sweeps", make_local(tmp_path))
    spec = JobSpec(notebook=str(tmp_path / "t.ipynb"))
    for space in ({"x": [1, float("nan")]}, {"x": [1, float("inf")]},
                  {"x": ["y" * MAX_SPEC_BYTES]}):
        with pytest.raises(InvalidSpec, match="space and options"):
            service.start(spec, {"space": space, "strategy": "grid"}, "me")
    assert service.list() == []
    for i in range(3):
        sweep_id = f"sweep-2026010100000{i}-abcdef"
        (tmp_path / "sweeps" / f"{sweep_id}.json").write_text(
            '{"id": "' + sweep_id + '", "state": "finished", "best": {"metric": NaN}}')
    (tmp_path / "sweeps" / "sweep-20260101000009-abcdef.json").write_text("[not json")
    listed = service.list(limit=2)
    assert [s["id"] for s in listed] == ["sweep-20260101000002-abcdef",
                                         "sweep-20260101000001-abcdef"]
    assert listed[0]["best"] == {"metric": None}
    # The offset counts sweep files, readable or not (a page never reads the ones before).
    assert [s["id"] for s in service.list(limit=5, offset=3)] == ["sweep-20260101000000-abcdef"]

