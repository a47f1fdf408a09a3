"""Job specs, cron, sweeps and job logs refuse hostile input cleanly and cheaply."""

from __future__ import annotations

import time

import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.jobs.records import JobRecord, JobStore, new_job_id
from jupyter_bighead.jobs.schedules import ScheduleStore
from jupyter_bighead.jobs.spec import JobSpec, validate_cron
from jupyter_bighead.jobs.sweep import MAX_TRIALS, trial_parameters


@pytest.mark.parametrize("expr", ["٣ * * * *", "* ٢ * * *", "*/\u0665 * * * *", "1-٩ * * * *",
                                  "\uff13 * * * *", "¹ * * * *"])
def test_cron_rejects_non_ascii_digits(expr):
    with pytest.raises(InvalidSpec, match="cron"):
        validate_cron(expr)


def test_cron_still_accepts_ascii_digits_names_and_steps():
    assert validate_cron("*/5 3 1-15 jan-mar mon") == "*/5 3 1-15 jan-mar mon"


@pytest.mark.parametrize("field,value", [
    ("name", "nightly\n"), ("labels", {"team\n": "x"}), ("function", "json:dumps\n"),
    ("function", "jsón:dumps"), ("name", 5), ("labels", ["a"]), ("resources", None),
    ("parameters", [1]), ("profile", ["default"]), ("kernel", {}), ("notebook", 3),
])
def test_job_specs_refuse_trailing_newlines_and_wrong_types(field, value):
    base = {"function": "json:dumps"} if field != "function" else {}
    if field == "notebook":
        base = {}
    with pytest.raises(InvalidSpec):
        JobSpec.from_dict({**base, field: value})


def test_ids_and_schedule_names_refuse_a_trailing_newline(tmp_path):
    with pytest.raises(InvalidSpec):
        JobStore(tmp_path / "jobs").folder("job-000001\n")
    with pytest.raises(InvalidSpec):
        ScheduleStore(tmp_path / "schedules").path("nightly\n")


def test_a_huge_grid_is_refused_before_it_is_expanded():
    space = {name: list(range(100)) for name in "abcd"}  # 10^8 combinations
    started = time.perf_counter()
    with pytest.raises(InvalidSpec, match=f"100000000 combinations.*{MAX_TRIALS}"):
        trial_parameters(space, "grid", None)
    assert time.perf_counter() - started < 1.0
    # With n, only the first n are built (lazily).
    started = time.perf_counter()
    first = trial_parameters(space, "grid", 3)
    assert time.perf_counter() - started < 1.0
    assert first == [{"a": 0, "b": 0, "c": 0, "d": 0}, {"a": 0, "b": 0, "c": 0, "d": 1},
                     {"a": 0, "b": 0, "c": 0, "d": 2}]


@pytest.mark.parametrize("n", [MAX_TRIALS + 1, 0, -1, 1.5, True, "3"])
def test_sweep_trial_counts_are_whole_numbers_within_the_cap(n):
    with pytest.raises(InvalidSpec):
        trial_parameters({"a": [1, 2]}, "random", n)


@pytest.mark.parametrize("space", [{"a": ("x", 1)}, {"a": (2, 1)}, {"a": (0, float("inf"))},
                                   {"a": 3}, {"a": []}])
def test_random_ranges_must_be_finite_numbers_low_to_high(space):
    with pytest.raises(InvalidSpec):
        trial_parameters(space, "random", 2)


def test_job_logs_page_without_splitting_a_character(tmp_path):
    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.jobs import get_executor

    executor = get_executor("local", home=BigheadHome(tmp_path / "home").ensure())
    spec = JobSpec(function="json:dumps")
    record = executor.store.save(JobRecord(new_job_id(spec), spec, "local", state="succeeded"))
    text = "é" * 5000 + "tail"  # two bytes a character: an odd page size splits one
    (executor.store.folder(record.id) / "output.log").write_text(text, "utf-8")
    pages, offset = [], 0
    while True:
        page, offset = executor.read_log(record.id, offset, limit=999)
        if not page:
            break
        assert len(page.encode()) <= 999 and "\ufffd" not in page
        pages.append(page)
    assert "".join(pages) == text and offset == executor.log_size(record.id)


@pytest.mark.parametrize("resources", [{"cpu": -1}, {"cpu": float("nan")}, {"memory": float("inf")},
                                       {"cpu": "-1"}, {"gpu": -1}, {"gpu": "1"}, {"gpu": 0.5},
                                       {"memory": ["1Gi"]}])
def test_requested_resources_are_finite_non_negative_quantities(resources):
    from jupyter_bighead.jobs.spec import DEFAULT_PROFILES, check_within_profile

    with pytest.raises(InvalidSpec):
        check_within_profile(JobSpec(function="json:dumps", resources=resources),
                             DEFAULT_PROFILES["default"])
