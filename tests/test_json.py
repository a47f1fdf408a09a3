"""The one ``json_safe``: data views write missing values as null, stored params keep
``nan`` as a value."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead._json import json_safe


def test_data_style_writes_missing_values_as_null_and_other_objects_as_text():
    value = {1: (np.float64("nan"), float("inf"), pd.NA, np.int64(3), np.array([1.5, 2.0])),
             "day": date(2024, 1, 2), "when": pd.Timestamp("2024-01-02 03:04"),
             "other": object}
    out = json_safe(value)
    assert out == {"1": [None, None, None, 3, [1.5, 2.0]], "day": "2024-01-02",
                   "when": "2024-01-02T03:04:00", "other": "<class 'object'>"}
    json.dumps(out, allow_nan=False)


def test_params_style_keeps_nan_and_infinities_as_strings_and_unknowns_as_repr():
    class Odd:
        def __repr__(self) -> str:
            return "Odd()"

        def __str__(self) -> str:
            return "odd"

    out = json_safe({"alpha": float("nan"), "hi": np.float64("-inf"), "o": Odd(),
                     "xs": np.arange(2), "none": None}, style="params")
    assert out == {"alpha": "nan", "hi": "-inf", "o": "Odd()", "xs": [0, 1], "none": None}
    assert json_safe(Odd()) == "odd"
    json.dumps(out, allow_nan=False)


def test_finite_numbers_pass_through_unchanged():
    for style in ("data", "params"):
        assert json_safe([1, 2.5, True, "x"], style=style) == [1, 2.5, True, "x"]
        assert not math.isnan(json_safe(0.1, style=style))


def test_an_unknown_style_is_refused():
    with pytest.raises(ValueError, match="style"):
        json_safe(1, style="loose")  # type: ignore[arg-type]


def test_old_import_paths_keep_their_behaviour():
    from jupyter_bighead.features.api import json_safe as features_json_safe
    from jupyter_bighead.registry.flavors import json_safe as flavors_json_safe

    assert features_json_safe([float("nan")]) == [None]
    assert flavors_json_safe([float("nan")]) == ["nan"]
