"""What each built-in block does to its columns."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.pipeline import (
    UNSEEN,
    CategoryEncode,
    Clip,
    DateParts,
    Drop,
    ImageResize,
    Impute,
    Log1p,
    MinMaxScale,
    Select,
    Standardize,
)


def test_impute_fills_with_the_learned_statistic_and_adds_indicators_beside_the_columns():
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0, 10.0], "b": ["x", None, "x", "y"], "k": 1})
    out = Impute(columns=["a"], strategy="median", add_indicator=True).fit_transform(df)
    assert list(out.columns) == ["a", "a__missing", "b", "k"]
    assert out["a"].tolist() == [1.0, 3.0, 3.0, 10.0]
    assert out["a__missing"].tolist() == [0.0, 1.0, 0.0, 0.0]
    assert Impute(columns=["a"]).fit_transform(df)["a"][1] == pytest.approx(14 / 3)
    frequent = Impute(columns=["b"], strategy="most_frequent").fit_transform(df)
    assert frequent["b"].tolist() == ["x", "x", "x", "y"]
    constant = Impute(columns=["a"], strategy="constant", fill_value=-1).fit_transform(df)
    assert constant["a"].tolist() == [1.0, -1.0, 3.0, 10.0]


def test_impute_with_an_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="strategy must be one of"):
        Impute(strategy="mode").fit(pd.DataFrame({"a": [1.0]}))


def test_scalers_use_fitted_statistics_and_keep_nan():
    train = pd.DataFrame({"a": [0.0, 2.0, 4.0, np.nan]})
    std = Standardize().fit(train)
    assert std.mean_.tolist() == [2.0]
    assert std.transform(pd.DataFrame({"a": [2.0, np.nan]}))["a"].iloc[0] == 0.0
    assert np.isnan(std.transform(pd.DataFrame({"a": [np.nan]}))["a"].iloc[0])
    mm = MinMaxScale(feature_range=(-1.0, 1.0)).fit(train)
    assert mm.transform(pd.DataFrame({"a": [0.0, 4.0, 6.0]}))["a"].tolist() == [-1.0, 1.0, 2.0]
    constant = Standardize().fit(pd.DataFrame({"a": [5.0, 5.0]}))
    assert constant.transform(pd.DataFrame({"a": [5.0]}))["a"].tolist() == [0.0]


def test_clip_learns_quantiles_at_fit_and_applies_them_later():
    clip = Clip(lower=0.1, upper=0.9).fit(pd.DataFrame({"a": np.arange(101.0)}))
    assert (clip.lower_[0], clip.upper_[0]) == (10.0, 90.0)
    out = clip.transform(pd.DataFrame({"a": [-5.0, 50.0, 500.0, np.nan]}))["a"]
    assert out.tolist()[:3] == [10.0, 50.0, 90.0] and np.isnan(out.iloc[3])


def test_log1p_plain_and_signed():
    df = pd.DataFrame({"a": [0.0, np.e - 1, -5.0]})
    plain = Log1p().fit_transform(df)["a"]
    assert plain.iloc[0] == 0.0 and plain.iloc[1] == pytest.approx(1.0)
    assert np.isnan(plain.iloc[2])
    signed = Log1p(signed=True).fit_transform(df)["a"]
    assert signed.iloc[2] == pytest.approx(-np.log(6.0))


def test_category_encode_gives_categoricals_with_a_reserved_code_for_unseen_values():
    enc = CategoryEncode(columns=["c"]).fit(pd.DataFrame({"c": ["b", "a", "b", None]}))
    # The one-row (dict lookup), Arrow text and object paths agree.
    for rows, dtype in ((3, "str"), (40, "str"), (40, object)):
        values = (["a", "zzz", None] * rows)[: max(3, rows)]
        out = enc.transform(pd.DataFrame({"c": pd.Series(values, dtype=dtype)}))["c"]
        assert isinstance(out.dtype, pd.CategoricalDtype)
        assert list(out.cat.categories) == ["a", "b", UNSEEN]
        assert out.iloc[0] == "a" and out.iloc[1] == UNSEEN and pd.isna(out.iloc[2])
        assert out.cat.codes.iloc[1] == 2


def test_category_encode_min_count_sends_rare_values_to_the_reserved_code():
    enc = CategoryEncode(min_count=2).fit(pd.DataFrame({"c": ["a", "a", "b"]}))
    assert enc.transform(pd.DataFrame({"c": ["b"]}))["c"].iloc[0] == UNSEEN


def test_date_parts_replace_the_column_with_numeric_parts():
    df = pd.DataFrame({"t": pd.to_datetime(["2024-02-29 23:59", "2023-12-31 00:00"]),
                       "x": [1, 2]})
    out = DateParts(columns=["t"], parts=("year", "month", "day", "dayofweek", "dayofyear",
                                          "hour", "minute")).fit_transform(df)
    assert list(out.columns)[:2] == ["t__year", "t__month"] and "t" not in out
    assert out.iloc[0, :7].tolist() == [2024, 2, 29, 3, 60, 23, 59]
    assert out.iloc[1, :7].tolist() == [2023, 12, 31, 6, 365, 0, 0]


def test_date_parts_use_the_wall_clock_of_aware_timestamps():
    t = pd.Series(pd.to_datetime(["2024-06-01 23:30"])).dt.tz_localize("Europe/Berlin")
    out = DateParts(parts=("day", "hour")).fit_transform(pd.DataFrame({"t": t}))
    assert out.iloc[0].tolist() == [1.0, 23.0]


def test_select_keeps_only_its_columns_in_order_and_drop_removes_them():
    df = pd.DataFrame({"a": [1], "b": [2], "c": [3]})
    assert list(Select(columns=["c", "a"]).fit_transform(df).columns) == ["c", "a"]
    assert list(Drop(columns=["b"]).fit_transform(df).columns) == ["a", "c"]
    assert list(Drop(columns=["b"]).fit(df).get_feature_names_out()) == ["a", "c"]


def test_image_resize_accepts_arrays_bytes_and_paths(tmp_path):
    from PIL import Image

    img = Image.fromarray(np.full((10, 6, 3), 255, dtype=np.uint8))
    img.save(tmp_path / "white.png")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    df = pd.DataFrame({"img": [np.zeros((5, 5)), buf.getvalue(), str(tmp_path / "white.png")],
                       "y": [0, 1, 2]})
    block = ImageResize(columns=["img"], size=(4, 3)).fit(df)
    out = block.transform(df)
    assert out.shape == (3, 12 + 1) and list(out.columns)[-1] == "y"
    assert out.iloc[0, :12].tolist() == [0.0] * 12 and out.iloc[2, :12].tolist() == [1.0] * 12
    arrays = ImageResize(columns=["img"], size=(4, 3), mode="RGB", flatten=False).fit_transform(df)
    assert arrays["img"].iloc[1].shape == (3, 4, 3)


def test_blocks_follow_set_output_and_name_their_outputs():
    df = pd.DataFrame({"a": [1.0, np.nan], "b": [3.0, 4.0]})
    block = Impute(add_indicator=True).set_output(transform="pandas").fit(df)
    assert list(block.get_feature_names_out()) == ["a", "b", "a__missing", "b__missing"]
    assert list(block.transform(df).columns) == list(block.get_feature_names_out())
    arr = Impute(add_indicator=True).fit_transform(df.to_numpy())
    assert isinstance(arr, np.ndarray) and arr.shape == (2, 4)
