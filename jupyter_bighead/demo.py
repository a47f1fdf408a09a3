"""The demo workspace behind ``jupyter bighead demo``.

It holds a deterministic, synthetic but realistic marketplace data set (page views,
bookings that sometimes arrive late, and a labelled spine of "will this user book
in the next 7 days?" questions) plus the starter notebook from ``templates/``.

Re-running never destroys a user's work: every file we write is recorded with its
hash in ``.bighead/demo-manifest.json``. A file the user changed is left alone and
the new version is written beside it as ``NAME.new.EXT``.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._io import atomic_write_bytes, atomic_write_text
from .config import HOME_DIR_NAME
from .errors import InvalidSpec
from .templates import template_path

if TYPE_CHECKING:
    import pandas as pd

SEED = 20240101
STARTER = "bighead_starter.ipynb"
MANIFEST = ".bighead/demo-manifest.json"
HOME_DIR = HOME_DIR_NAME


@dataclass(frozen=True)
class DemoData:
    """The three tables of the demo: two event logs and a labelled spine."""

    page_views: pd.DataFrame
    bookings: pd.DataFrame
    labels: pd.DataFrame


def generate_demo_data(seed: int = SEED, n_users: int = 2000, days: int = 182) -> DemoData:
    """Generate the demo tables; the same ``seed`` always gives identical frames.

    - ``page_views``: user_id, ts, page, duration_s.
    - ``bookings``: user_id, ts, created_at (when the row landed; some land days late),
      amount, nights.
    - ``labels``: user_id, ts, label, where label is 1 when the user books within
      7 days after ``ts`` (bookings at or after ``ts`` and before ``ts + 7d``).
    """
    if n_users < 10 or days < 30:
        raise InvalidSpec("the demo needs at least 10 users and 30 days")
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2024-01-01")
    span_s = days * 86_400
    user_ids = np.sort(rng.choice(np.arange(10_000, 10_000_000), size=n_users, replace=False))
    activity = rng.lognormal(mean=0.0, sigma=0.9, size=n_users)  # how much a user browses
    intent = rng.beta(1.2, 6.0, size=n_users)  # how likely browsing turns into bookings

    # Page views: popular users browse far more, mild skew like real traffic.
    n_views = rng.poisson(activity * 40)
    pv_user = np.repeat(np.arange(n_users), n_views)
    pv_ts = rng.integers(0, span_s, size=pv_user.size)
    pages = np.array(["search", "listing", "reviews", "checkout"])
    page_p = np.stack([1 - intent, 0.6 + 0 * intent, 0.3 + 0 * intent, 2.5 * intent], axis=1)
    page_p = page_p / page_p.sum(axis=1, keepdims=True)
    cum = page_p[pv_user].cumsum(axis=1)
    page_idx = (rng.random(pv_user.size)[:, None] > cum).sum(axis=1)
    page_views = pd.DataFrame(
        {
            "user_id": user_ids[pv_user].astype("int64"),
            "ts": t0 + pd.to_timedelta(pv_ts, unit="s"),
            "page": pages[np.minimum(page_idx, 3)],
            "duration_s": np.round(rng.gamma(2.0, 20.0, size=pv_user.size), 1),
        }
    )

    # Bookings follow intent and activity; created_at models late-arriving rows.
    n_book = rng.poisson(intent * np.sqrt(activity) * 15)
    bk_user = np.repeat(np.arange(n_users), n_book)
    bk_ts = rng.integers(0, span_s, size=bk_user.size)
    lag_s = rng.exponential(3_600, size=bk_user.size).astype("int64")
    late = rng.random(bk_user.size) < 0.05
    lag_s[late] += rng.integers(86_400, 4 * 86_400, size=int(late.sum()))
    bookings = pd.DataFrame(
        {
            "user_id": user_ids[bk_user].astype("int64"),
            "ts": t0 + pd.to_timedelta(bk_ts, unit="s"),
            "created_at": t0 + pd.to_timedelta(bk_ts + lag_s, unit="s"),
            "amount": np.round(rng.lognormal(5.0, 0.6, size=bk_user.size), 2),
            "nights": rng.integers(1, 15, size=bk_user.size).astype("int64"),
        }
    )

    # The spine: questions asked after a 30-day warm-up, labelled from the future.
    n_q = n_users * 5
    q_user = rng.integers(0, n_users, size=n_q)
    q_ts = rng.integers(30 * 86_400, span_s - 7 * 86_400, size=n_q)
    stride = np.int64(span_s + 1)
    keys = np.sort(bk_user.astype("int64") * stride + bk_ts)
    lo = np.searchsorted(keys, q_user.astype("int64") * stride + q_ts, side="left")
    hi = np.searchsorted(keys, q_user.astype("int64") * stride + q_ts + 7 * 86_400, side="left")
    labels = pd.DataFrame(
        {
            "user_id": user_ids[q_user].astype("int64"),
            "ts": t0 + pd.to_timedelta(q_ts, unit="s"),
            "label": (hi > lo).astype("int64"),
        }
    )
    sort_cols = ["ts", "user_id"]
    return DemoData(
        page_views=page_views.sort_values(sort_cols, kind="stable").reset_index(drop=True),
        bookings=bookings.sort_values(sort_cols, kind="stable").reset_index(drop=True),
        labels=labels.sort_values(sort_cols, kind="stable").reset_index(drop=True),
    )


def demo_features(root: str | Path) -> list[Any]:
    """The demo's feature definitions (the starter notebook applies the same ones)."""
    from .features import EventSource, Feature

    root = Path(root).resolve()
    bookings = EventSource("bookings", path=str(root / "data" / "bookings.parquet"),
                           entity="user_id", timestamp="ts", created_at="created_at")
    views = EventSource("page_views", path=str(root / "data" / "page_views.parquet"),
                        entity="user_id", timestamp="ts")
    return [
        Feature("bookings_30d_count", source=bookings, column="amount", agg="count",
                window="30d", owner="demo", tags=("bookings",),
                description="Bookings in the last 30 days, as known at the time"),
        Feature("bookings_90d_sum", source=bookings, column="amount", agg="sum", window="90d",
                owner="demo", tags=("bookings", "revenue")),
        Feature("bookings_last_nights", source=bookings, column="nights", agg="last",
                owner="demo", tags=("bookings",)),
        Feature("views_1d_count", source=views, column="duration_s", agg="count", window="1d",
                owner="demo", tags=("engagement",)),
        Feature("views_7d_count", source=views, column="duration_s", agg="count", window="7d",
                owner="demo", tags=("engagement",)),
        Feature("views_30d_mean_duration", source=views, column="duration_s", agg="mean",
                window="30d", owner="demo", tags=("engagement",)),
        Feature("views_7d_distinct_pages", source=views, column="page", agg="count_distinct",
                window="7d", owner="demo", tags=("engagement",)),
    ]


@dataclass
class DemoWorkspace:
    """What :func:`create_demo_workspace` did, file by file (paths relative to ``root``)."""

    root: Path
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: user-changed file -> where the new version was written instead
    kept: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.root / HOME_DIR

    @property
    def starter(self) -> Path:
        return self.root / STARTER


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def create_demo_workspace(
    root: str | Path, progress: Callable[[str], None] | None = None
) -> DemoWorkspace:
    """Create or refresh the demo workspace at ``root``; never overwrite the user's edits.

    Raises
    ------
    InvalidSpec
        If ``root`` exists and is not a folder.
    """
    root = Path(root).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise InvalidSpec(f"demo workspace {root} exists and is not a folder")
    say = progress or (lambda _msg: None)
    root.mkdir(parents=True, exist_ok=True)
    (root / HOME_DIR).mkdir(exist_ok=True)
    manifest_path = root / MANIFEST
    try:
        manifest: dict[str, str] = json.loads(manifest_path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        manifest = {}

    result = DemoWorkspace(root=root)
    say("generating synthetic events and labels")
    data = generate_demo_data()
    files: dict[str, Callable[[], bytes]] = {
        "data/page_views.parquet": lambda: _parquet_bytes(data.page_views),
        "data/bookings.parquet": lambda: _parquet_bytes(data.bookings),
        "data/labels.parquet": lambda: _parquet_bytes(data.labels),
        STARTER: lambda: template_path("notebooks", "starter.ipynb").read_bytes(),
    }
    for rel, make in files.items():
        _place(root, rel, make(), manifest, result)
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2, sort_keys=True))

    say("registering the demo features in the catalog")
    from .errors import Conflict
    from .features import FeatureRepo

    try:
        FeatureRepo(root / HOME_DIR / "features").apply(demo_features(root))
    except Conflict as exc:  # the user evolved them: their catalog wins
        say(f"kept your feature definitions ({exc.message.splitlines()[0]})")
    return result


def _place(
    root: Path, rel: str, data: bytes, manifest: dict[str, str], result: DemoWorkspace
) -> None:
    target = root / rel
    new_hash = _sha256(data)
    if not target.exists():
        atomic_write_bytes(target, data)
        manifest[rel] = new_hash
        result.created.append(rel)
        return
    current = _sha256(target.read_bytes())
    if current == new_hash:
        manifest[rel] = new_hash
        result.unchanged.append(rel)
    elif current == manifest.get(rel):
        # Still exactly what we wrote last time: safe to refresh.
        atomic_write_bytes(target, data)
        manifest[rel] = new_hash
        result.updated.append(rel)
    else:
        # The user changed it (or made it): keep theirs, put ours beside it.
        side = target.with_name(f"{target.stem}.new{target.suffix}")
        atomic_write_bytes(side, data)
        result.kept[rel] = str(side.relative_to(root))
