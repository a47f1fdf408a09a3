"""The admin settings store: seeding, validation, versions, audit, live reads, locking."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from jupyter_bighead.admin import AdminSettings, ComputeProfile, LiveProfiles
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import Conflict, InvalidSpec, NotFound

GPU = {"cpu": "8", "memory": "32Gi", "gpu": 1, "image": "org/train:cuda"}


def test_a_home_without_the_store_reads_as_the_default_profile_and_creates_nothing(tmp_path):
    settings = AdminSettings(tmp_path)
    assert list(settings.profiles()) == ["default"]
    assert settings.kernel_images() == {} and settings.quotas() == {}
    assert settings.audit() == []
    assert not (tmp_path / "admin").exists()


def test_the_config_seeds_the_store_once_and_the_store_wins_afterwards(tmp_path):
    first = AdminSettings.open(tmp_path, seed_profiles={"gpu": GPU},
                               seed_kernel_images={"python3": "org/py:1"})
    assert list(first.profiles()) == ["gpu"]
    assert first.kernel_images() == {"python3": "org/py:1"}
    first.put_profile("small", {"cpu": "1", "memory": "1Gi"}, user="ada")
    # A restart with a changed config keeps the admin's edits.
    again = AdminSettings.open(tmp_path, seed_profiles={"other": {"cpu": "2"}})
    assert sorted(again.profiles()) == ["gpu", "small"]
    assert [e["action"] for e in again.audit()] == ["put_profile", "seed"]


def test_an_empty_config_seeds_the_built_in_default_profile(tmp_path):
    settings = AdminSettings.open(tmp_path)
    assert settings.profiles()["default"] == ComputeProfile("default",
                                                            description="1 CPU, 2 GiB, no GPU")
    assert settings.version == 1


OK = {"cpu": "1", "memory": "1Gi"}


@pytest.mark.parametrize(("name", "spec", "words"), [
    ("x", {}, "must state cpu and memory"),
    ("x", {"cpu": "2"}, "must state memory"),
    ("bad name!", {"cpu": "1"}, "profile name"),
    ("../etc", {"cpu": "1"}, "profile name"),
    ("x", {**OK, "cpu": "lots"}, "cpu"),
    ("x", {**OK, "gpu": -1}, "gpu"),
    ("x", {**OK, "gpu": True}, "gpu"),
    ("x", {**OK, "gpu": 1.5}, "gpu"),
    ("x", {**OK, "memory": ["8Gi"]}, "memory"),
    ("x", {**OK, "max_concurrent_per_user": 0}, "max_concurrent_per_user"),
    ("x", {**OK, "image": "has space"}, "image"),
    ("x", {**OK, "image": "a" * 301}, "image"),
    ("x", {**OK, "image": "<script>alert(1)</script>"}, "'<script>alert.* is not an image ref"),
    ("x", {**OK, "image": "org/img:tag;rm"}, "is not an image reference"),
    ("x", {**OK, "description": "d" * 501}, "description"),
    ("x", {**OK, "node_selector": {"gpu": 1}}, "node_selector"),
    ("x", {**OK, "tolerations": "all"}, "tolerations"),
    ("x", {**OK, "colour": "red"}, "unknown keys"),
    ("x", ["cpu"], "JSON object"),
])
def test_a_bad_profile_is_refused_naming_the_problem_and_nothing_changes(tmp_path, name,
                                                                         spec, words):
    settings = AdminSettings.open(tmp_path)
    with pytest.raises(InvalidSpec, match=words):
        settings.put_profile(name, spec, user="ada")
    assert settings.version == 1 and list(settings.profiles()) == ["default"]


def test_every_edit_bumps_the_version_and_is_audited_with_who_before_and_after(tmp_path):
    settings = AdminSettings.open(tmp_path)
    settings.put_profile("gpu", GPU, user="ada")
    settings.put_profile("gpu", {**GPU, "gpu": 2}, user="bob")
    settings.put_kernel_image("python3", "org/py:2", user="ada")
    settings.put_quota("*", {"max_running_jobs": 3}, user="ada")
    settings.delete_profile("gpu", user="bob")
    assert settings.version == 6
    entries = settings.audit()
    assert [e["version"] for e in entries] == [6, 5, 4, 3, 2, 1]
    deleted, second = entries[0], entries[3]
    assert (deleted["user"], deleted["action"], deleted["target"]) == \
        ("bob", "delete_profile", "profile:gpu")
    assert deleted["before"]["gpu"] == 2 and deleted["after"] is None
    assert second["before"]["gpu"] == 1 and second["after"]["gpu"] == 2
    assert settings.audit(limit=2, offset=1) == entries[1:3]


def test_deleting_a_missing_or_the_last_profile_is_refused(tmp_path):
    settings = AdminSettings.open(tmp_path)
    with pytest.raises(NotFound):
        settings.delete_profile("nope", user="ada")
    with pytest.raises(Conflict, match="last one"):
        settings.delete_profile("default", user="ada")


def test_kernel_images_are_checked_and_removed_by_an_empty_image(tmp_path):
    settings = AdminSettings.open(tmp_path)
    with pytest.raises(InvalidSpec, match="kernelspec"):
        settings.put_kernel_image("../x", "img", user="ada")
    with pytest.raises(InvalidSpec, match="image"):
        settings.put_kernel_image("python3", "a b", user="ada")
    settings.put_kernel_image("python3", "org/py:1", user="ada")
    settings.put_kernel_image("python3", None, user="ada")
    assert settings.kernel_images() == {}


def test_a_second_reader_sees_an_edit_at_once_and_the_live_mapping_follows(tmp_path):
    writer, reader = AdminSettings.open(tmp_path), AdminSettings(tmp_path)
    live = LiveProfiles(reader)
    assert "gpu" not in live
    first = reader.data()
    assert reader.data() is first  # unchanged file: the cached parse
    writer.put_profile("gpu", GPU, user="ada")
    assert live["gpu"].gpu == 1 and len(live) == 2
    assert reader.data() is not first


def test_a_hand_broken_entry_is_skipped_not_fatal(tmp_path):
    settings = AdminSettings.open(tmp_path, seed_profiles={"gpu": GPU})
    text = settings.path.read_text().replace('"gpu": 1', '"gpu": -5')
    settings.path.write_text(text)
    assert list(settings.profiles()) == ["default"]  # nothing valid left: the built-in


def _put_many(root: str, worker: int) -> None:
    settings = AdminSettings(root)
    for i in range(10):
        settings.put_profile(f"p{worker}-{i}", {"cpu": "1", "memory": "1Gi"}, user=f"user{worker}")


def test_concurrent_writers_in_several_processes_lose_no_edit(tmp_path):
    AdminSettings.open(tmp_path)
    ctx = multiprocessing.get_context("spawn" if os.name != "posix" else "fork")
    procs = [ctx.Process(target=_put_many, args=(str(tmp_path), w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    settings = AdminSettings(BigheadHome(tmp_path))
    assert len(settings.profiles()) == 41
    assert settings.version == 41
    assert sorted(e["version"] for e in settings.audit(limit=1000)) == list(range(1, 42))


def test_profiles_are_parsed_once_per_version_of_the_file(tmp_path):
    settings = AdminSettings.open(tmp_path, seed_profiles={"gpu": GPU})
    first = settings.profiles()
    assert settings.profiles()["gpu"] is first["gpu"]  # the same parse
    AdminSettings(tmp_path).put_profile("gpu", {**GPU, "gpu": 2}, user="ada")
    assert settings.profiles()["gpu"].gpu == 2  # a new version: parsed again


def test_the_kubernetes_executor_picks_the_kernel_image_the_admin_maps_now(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from jupyter_bighead.jobs import JobSpec
    from jupyter_bighead.jobs.kubernetes import KubernetesExecutor

    nb = new_notebook(cells=[new_code_cell("x = 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, tmp_path / "nb.ipynb")
    spec = JobSpec(notebook=str(tmp_path / "nb.ipynb"))
    ex = KubernetesExecutor(home=BigheadHome(tmp_path / "home"), image="org/base:1")
    fixed = KubernetesExecutor(home=BigheadHome(tmp_path / "home"), image="org/base:1",
                               kernel_images={"python3": "org/given:1"})
    profile = ex.profile("default")
    assert ex.image_for(spec, profile) == "org/base:1"  # nothing mapped yet
    AdminSettings.open(tmp_path / "home").put_kernel_image("python3", "org/py:3", user="ana")
    assert ex.image_for(spec, profile) == "org/py:3"  # the same executor, at once
    assert fixed.image_for(spec, profile) == "org/given:1"  # given to it: kept


@pytest.mark.parametrize("image", [
    "bighead", "org/py:3.11", "registry.example:5000/team/bighead:1.2-cuda",
    "localhost/x_y.z__w", "ghcr.io/org-name/x",
    "quay.io/a/b@sha256:" + "0" * 64, "a/b:1@sha256:" + "f" * 64, "[::1]:5000/x:y",
])
def test_image_references_registries_take_are_accepted(tmp_path, image):
    settings = AdminSettings.open(tmp_path)
    settings.put_kernel_image("python3", image, user="ada")
    assert settings.put_profile("x", {**OK, "image": image}, user="ada").image == image


@pytest.mark.parametrize("image", [
    "<script>alert(1)</script>", "Org/img", "UPPER", "a//b", "-a", "a:", "a:-x",
    "a@sha256:12", "x:" + "t" * 129, "a" * 301, "img:tag\n", "ghcr.io/a/b:1 ",
])
def test_a_kernel_image_that_is_no_image_reference_is_refused(tmp_path, image):
    settings = AdminSettings.open(tmp_path)
    with pytest.raises(InvalidSpec, match="is not an image reference"):
        settings.put_kernel_image("python3", image, user="ada")
    assert settings.kernel_images() == {}
