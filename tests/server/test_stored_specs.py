"""What a job, schedule or sweep request stores: plain JSON (no NaN/Infinity), bounded
in size, a real notebook and kernel name; and listings that no stored record can break."""

from __future__ import annotations

import json
import time

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_bighead.jobs.records import JobRecord, JobStore
from jupyter_bighead.jobs.spec import MAX_SPEC_BYTES, JobSpec

from ..notebooks.helpers import code, write_nb

SCORE = "jupyter_bighead.jobs.scoring:score_job"


@pytest.fixture
def train(jp_root_dir):
    write_nb(jp_root_dir / "train.ipynb", [code("alpha = 1.0", "parameters"), code("x = 1")])


async def post_raw(jp_fetch, route, text):
    """POST ``text`` as is (json.dumps would refuse NaN itself); the HTTP error."""
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("bighead", "api", route, method="POST", body=text)
    return info.value.code, json.loads(info.value.response.body)


async def get(jp_fetch, *parts, **params):
    response = await jp_fetch("bighead", "api", *parts, params=params)
    return json.loads(response.body)


@pytest.mark.parametrize("route,text", [
    ("jobs", '{"notebook": "train.ipynb", "parameters": {"alpha": NaN}}'),
    ("jobs", '{"notebook": "train.ipynb", "parameters": {"alpha": -Infinity}}'),
    ("jobs", '{"notebook": "train.ipynb", "parameters": {"alpha": 1e400}}'),
    ("jobs", '{"function": "' + SCORE + '", "parameters": {"model_ref": "m", '
             '"input": "a.csv", "output": "b.csv", "entity": Infinity}}'),
    ("schedules", '{"notebook": "train.ipynb", "schedule": "0 3 * * *", "name": "n", '
                  '"parameters": {"alpha": NaN}}'),
    ("sweeps", '{"notebook": "train.ipynb", "space": {"alpha": [1, 1e400]}, '
               '"strategy": "random", "n": 2}'),
])
async def test_nan_and_infinity_are_a_400_and_nothing_is_stored(jp_fetch, train, bighead_home,
                                                                route, text):
    status, body = await post_raw(jp_fetch, route, text)
    assert status == 400 and body["error"] == "bad_request"
    assert "not valid JSON" in body["message"]
    for listed in ("jobs", "schedules", "sweeps"):
        assert (await get(jp_fetch, listed))["items"] == []
    assert not list((bighead_home / "jobs").glob("*/record.json"))


async def test_a_record_with_nan_on_disk_breaks_no_listing(jp_fetch, train, bighead_home):
    # Records written before the check (or by hand) may hold NaN: lists still answer.
    store = JobStore(bighead_home / "jobs")
    spec = JobSpec(notebook="/x/train.ipynb", parameters={"alpha": 1.5})
    record = JobRecord(id="train-20260101000000-abcdef", spec=spec, executor="local",
                       state="failed")
    store.save(record)
    path = store.folder(record.id) / "record.json"
    path.write_text(path.read_text().replace("1.5", "NaN"))
    (bighead_home / "sweeps").mkdir(parents=True, exist_ok=True)
    (bighead_home / "sweeps" / "sweep-20260101000000-abcdef.json").write_text(
        '{"id": "sweep-20260101000000-abcdef", "state": "finished", "space": {"x": [1, NaN]},'
        ' "trials": [{"metric": Infinity}]}')
    jobs = (await get(jp_fetch, "jobs"))["items"]
    assert [j["id"] for j in jobs] == [record.id]
    assert jobs[0]["spec"]["parameters"] == {"alpha": None}
    assert (await get(jp_fetch, "jobs", record.id))["id"] == record.id
    sweeps = (await get(jp_fetch, "sweeps"))["items"]
    assert sweeps[0]["space"] == {"x": [1, None]} and sweeps[0]["trials"][0]["metric"] is None
    assert (await get(jp_fetch, "sweeps", "sweep-20260101000000-abcdef"))["state"] == "finished"


async def test_a_spec_over_the_size_cap_is_refused_before_anything_is_stored(
    jp_fetch, train, bighead_home
):
    big = "x" * MAX_SPEC_BYTES
    for route, extra in (("jobs", {}), ("schedules", {"schedule": "0 3 * * *", "name": "n"})):
        status, body = await post_raw(jp_fetch, route, json.dumps(
            {"notebook": "train.ipynb", "parameters": {"alpha": big}, **extra}))
        assert status == 400 and f"at most {MAX_SPEC_BYTES} bytes" in body["message"]
        assert big not in body["message"]
    status, body = await post_raw(jp_fetch, "sweeps", json.dumps(
        {"notebook": "train.ipynb", "space": {"alpha": [big]}}))
    assert status == 400 and f"at most {MAX_SPEC_BYTES} bytes" in body["message"]
    assert not list((bighead_home / "jobs").glob("*/record.json"))
    assert (await get(jp_fetch, "schedules"))["items"] == []
    assert (await get(jp_fetch, "sweeps"))["items"] == []


async def test_sweeps_are_listed_in_pages(jp_fetch, bighead_home):
    folder = bighead_home / "sweeps"
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"sweep-2026010100000{i}-abcdef" for i in range(5)]
    for sweep_id in ids:
        (folder / f"{sweep_id}.json").write_text(json.dumps({"id": sweep_id, "state": "x"}))
    newest_first = ids[::-1]
    assert [s["id"] for s in (await get(jp_fetch, "sweeps", limit="2"))["items"]] == \
        newest_first[:2]
    assert [s["id"] for s in (await get(jp_fetch, "sweeps", limit="2", offset="2"))["items"]] \
        == newest_first[2:4]
    for bad in ({"limit": "1001"}, {"offset": "-1"}, {"limit": "x"}):
        with pytest.raises(HTTPClientError) as info:
            await get(jp_fetch, "sweeps", **bad)
        assert info.value.code == 400


@pytest.mark.parametrize("body,message", [
    ({"notebook": "train.ipynb", "kernel": "../../../etc"}, "kernelspec name"),
    ({"notebook": "train.ipynb", "kernel": "python3\n"}, "kernelspec name"),
    ({"notebook": "registry.db"}, "must be a .ipynb file"),
    ({"notebook": "fake.ipynb"}, "not a valid notebook"),
])
async def test_kernel_and_notebook_are_checked_at_submit(jp_fetch, jp_root_dir, train,
                                                         bighead_home, body, message):
    secret = b"SQLite format 3\x00 secret table rows"
    (jp_root_dir / "registry.db").write_bytes(secret)
    (jp_root_dir / "fake.ipynb").write_bytes(secret)
    status, err = await post_raw(jp_fetch, "jobs", json.dumps(body))
    assert status == 400 and message in err["message"]
    assert "SQLite" not in err["message"]  # a refusal never quotes the file
    assert not list((bighead_home / "jobs").glob("*/record.json"))


@pytest.mark.parametrize("version", ["1\n", " 1", "1 ", "\uff11"])
async def test_a_version_with_whitespace_is_not_a_version(jp_fetch, version):
    # jp_fetch URL-encodes the part: the server sees /versions/1%0A and so on.
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("bighead", "api", "models", "clf", "versions", version)
    assert info.value.code == 400  # checked before the model is looked up (else 404)
    assert "is not a version number" in json.loads(info.value.response.body)["message"]


async def test_a_long_preview_timestamp_is_refused_at_once(jp_fetch):
    started = time.monotonic()
    status, body = await post_raw(jp_fetch, "features/preview", json.dumps(
        {"features": ["bookings_30d_count"], "entities": [1], "at": "2024" * 200_000}))
    assert status == 400 and "ISO 8601" in body["message"]
    assert len(body["message"]) < 300
    assert time.monotonic() - started < 5  # pandas took 30 s on this string


@pytest.mark.parametrize("at", ["now", "today", "2024-13-45", "2024-01-01\n"])
async def test_preview_timestamps_are_iso_dates_with_one_line_errors(jp_fetch, at):
    status, body = await post_raw(jp_fetch, "features/preview", json.dumps(
        {"features": ["bookings_30d_count"], "entities": [1], "at": at}))
    assert status == 400 and "\n" not in body["message"].replace(repr(at), "")
