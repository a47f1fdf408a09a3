"""Roles in the Python API: a kernel, job or script under a team's ``$BIGHEAD_ROLES``
is refused the writes its user's roles do not allow, and nothing is stored.

The identity is the process's (``$JUPYTERHUB_USER`` under a hub) and the groups come
from ``$BIGHEAD_GROUPS``, as a hub-spawned server's kernels see them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

import jupyter_bighead.roles as roles
from jupyter_bighead.features import EventSource, Feature, FeatureRepo
from jupyter_bighead.registry import Registry
from jupyter_bighead.registry.protect import JOB_ID_ENV, PROTECTED_ENV
from jupyter_bighead.reviews import ReviewStore
from jupyter_bighead.roles import MissingRole

TEAM = {"*": "viewer", "group:data-science": "data_scientist",
        "group:reviewers": "reviewer", "user:adam": "admin"}


def act_as(monkeypatch, user: str, groups: str = "") -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", user)
    monkeypatch.setenv(roles.GROUPS_ENV, groups)


@pytest.fixture
def team(monkeypatch):
    monkeypatch.setenv(roles.ROLES_ENV, json.dumps(TEAM))
    monkeypatch.delenv(JOB_ID_ENV, raising=False)
    monkeypatch.delenv(PROTECTED_ENV, raising=False)
    monkeypatch.setattr(roles, "_server_checks", False)


@pytest.fixture
def model():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int).to_numpy()
    return lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)


def test_single_user_mode_checks_nothing(monkeypatch, tmp_path, model):
    monkeypatch.delenv(roles.ROLES_ENV, raising=False)
    act_as(monkeypatch, "vera")
    reg = Registry(tmp_path / "reg")
    reg.register("churn", model)
    reg.set_alias("churn", "production", 1)
    assert reg.aliases("churn") == {"production": 1}


def test_a_viewer_may_not_register_and_nothing_is_stored(team, monkeypatch, tmp_path, model):
    act_as(monkeypatch, "vera")
    reg = Registry(tmp_path / "reg")
    with pytest.raises(MissingRole, match=r"vera may not register a version of 'churn'.*"
                                          r"data_scientist or admin.*vera has viewer"):
        reg.register("churn", model)
    assert reg.models().total == 0
    assert not roles.current_allows("write")


def test_a_data_scientist_registers_but_needs_a_review_for_production(
        team, monkeypatch, tmp_path, model):
    act_as(monkeypatch, "dana", "data-science")
    reg = Registry(tmp_path / "reg")
    assert reg.register("churn", model).version == 1
    reg.set_alias("churn", "staging", 1)
    with pytest.raises(MissingRole, match=r"protected alias.*request a review"):
        reg.set_alias("churn", "production", 1)
    # registering with alias="production" keeps the version and leaves the alias
    with pytest.warns(UserWarning, match="without moving it"):
        mv = reg.register("churn", model, alias="production")
    assert mv.version == 2 and "production" not in reg.aliases("churn")

    store = ReviewStore(tmp_path / "reviews")
    team_map = roles.RoleMap.from_config(TEAM)
    review = store.request(reg, "churn:2", author="dana", roles=team_map,
                           groups=("data-science",))
    with pytest.raises(MissingRole):  # pending is not approved
        reg.set_alias("churn", "production", 2, approval=store.get(review.id))
    store.decide(review.id, "rita", "approved", "fine", roles=team_map, groups=("reviewers",))
    approved = store.get(review.id)
    with pytest.raises(MissingRole):  # an approval of another version allows nothing
        reg.set_alias("churn", "production", 1, approval=approved)
    forged = SimpleNamespace(state="approved", name="churn", version=1, alias="production",
                             author="dana", id="20260101000000000000-abcdef")
    with pytest.raises(MissingRole):  # an approval is re-read from the stores, not trusted
        reg.set_alias("churn", "production", 1, approval=forged)
    assert reg.set_alias("churn", "production", 2, approval=approved).to_version == 2
    with pytest.raises(MissingRole, match="admin"):  # removing production is an admin's
        reg.delete_alias("churn", "production")
    with pytest.raises(MissingRole, match="admin"):
        reg.rollback("churn", "production")
    assert reg.aliases("churn") == {"staging": 1, "production": 2}

    act_as(monkeypatch, "tom", "data-science")  # someone else's approval is not yours
    with pytest.raises(MissingRole):
        reg.set_alias("churn", "production", 2, approval=approved)


def test_an_admin_moves_any_alias(team, monkeypatch, tmp_path, model):
    act_as(monkeypatch, "dana", "data-science")
    reg = Registry(tmp_path / "reg")
    reg.register("churn", model)
    act_as(monkeypatch, "adam")
    reg.set_alias("churn", "production", 1)
    reg.delete_alias("churn", "production")
    assert reg.aliases("churn") == {}


def test_a_viewer_may_not_define_features(team, monkeypatch, tmp_path):
    act_as(monkeypatch, "vera")
    repo = FeatureRepo(tmp_path / "features")
    events = tmp_path / "events.parquet"
    pd.DataFrame({"user_id": [1, 2], "ts": pd.to_datetime(["2026-01-01", "2026-01-02"]),
                  "amount": [1.0, 2.0]}).to_parquet(events)
    src = EventSource("bookings", path=str(events), entity="user_id", timestamp="ts")
    feature = Feature("s", source=src, column="amount", agg="sum", window="7d")
    with pytest.raises(MissingRole, match="vera may not define features"):
        repo.apply([feature])
    assert repo.list_features() == []
    act_as(monkeypatch, "dana", "data-science")
    assert repo.apply([feature])[0]["status"] == "created"


def test_a_process_the_server_starts_inherits_the_check(team, monkeypatch, tmp_path, model):
    """A kernel or job is a child process: it reads the same variables."""
    act_as(monkeypatch, "vera")
    code = ("import jupyter_bighead.roles as r\n"
            "try:\n    r.require_current('write', doing='deploy')\n"
            "except r.MissingRole as e:\n    print('REFUSED', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert out.startswith("REFUSED vera may not deploy")


def test_the_server_process_stands_aside(team, monkeypatch, tmp_path, model):
    """The server's authorizer checks each request's identity; its own process user
    (who may hold no role) must not block the requests it already allowed."""
    act_as(monkeypatch, "vera")
    roles.checked_by_server()
    Registry(tmp_path / "reg").register("churn", model)


def test_a_bad_roles_variable_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(roles, "_server_checks", False)
    monkeypatch.setenv(roles.ROLES_ENV, "{not json")
    with pytest.raises(roles.InvalidSpec, match="BIGHEAD_ROLES is not JSON"):
        roles.require_current("write")


def test_reviews_in_a_team_kernel_run_under_the_callers_own_name(team, monkeypatch, tmp_path,
                                                                 model):
    from jupyter_bighead import reviews
    from jupyter_bighead.errors import Conflict, Forbidden

    store = ReviewStore(tmp_path / "reviews")
    act_as(monkeypatch, "dana", "data-science")
    reg = Registry(tmp_path / "reg")
    reg.register("churn", model)
    with pytest.raises(Forbidden, match="dana may not act as 'rita'"):
        reviews.request_review(reg, "churn:1", author="rita", store=store)
    review = reviews.request_review(reg, "churn:1", author="dana", store=store)
    with pytest.raises(Conflict, match="is pending"):
        reviews.move_alias(review.id, reg, store=store)

    act_as(monkeypatch, "vera")  # a viewer's kernel cannot approve, even naming a reviewer
    with pytest.raises(Forbidden):
        reviews.approve(review.id, "rita", store=store)
    with pytest.raises(MissingRole, match="vera may not"):
        reviews.approve(review.id, "vera", store=store)
    act_as(monkeypatch, "rita", "reviewers")
    reviews.approve(review.id, "rita", "fine", store=store)
    with pytest.raises(MissingRole):  # an approved review moves the alias for its author
        reviews.move_alias(review.id, reg, store=store)

    act_as(monkeypatch, "dana", "data-science")
    event = reviews.move_alias(review.id, reg, store=store)
    assert (event.to_version, event.by) == (1, "dana")
    assert reg.aliases("churn") == {"production": 1}
    moves = reviews.get(review.id, store=store).moves
    assert [m["by"] for m in moves] == ["dana"] and moves[0]["alias_event"] == event.id


def test_a_team_kernel_records_writes_under_its_own_name(team, monkeypatch, tmp_path, model):
    from jupyter_bighead.errors import Forbidden

    act_as(monkeypatch, "dana", "data-science")
    reg = Registry(tmp_path / "reg")
    with pytest.raises(Forbidden, match="dana may not act as 'rita'"):
        reg.register("churn", model, user="rita")
    reg.register("churn", model, user="dana")
    with pytest.raises(Forbidden, match="act as 'rita'"):
        reg.set_alias("churn", "staging", 1, user="rita")
    assert reg.set_alias("churn", "staging", 1).by == "dana"
