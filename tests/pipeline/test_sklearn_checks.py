"""Every block that fits the scikit-learn estimator contract passes sklearn's own checks.

Excluded, because the checks feed only random float (or object-of-float) matrices:

- ``DateParts`` needs datetime64 columns (floats are rejected as a wrong dtype);
- ``FeatureLookup`` needs a feature repository and entity/timestamp columns;
- ``ImageResize`` needs image cells (arrays, bytes or paths), not scalars;
- ``Select``/``Drop`` need named columns to route (with ``columns=None``
  they are the identity and the empty frame, which sklearn rejects as an output).
"""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from jupyter_bighead.pipeline import (
    CategoryEncode,
    Clip,
    Impute,
    Log1p,
    MinMaxScale,
    Standardize,
)

BLOCKS = [
    Impute(),
    Impute(strategy="median", add_indicator=True),
    Impute(strategy="most_frequent"),
    Impute(strategy="constant", fill_value=-1.0),
    Standardize(),
    MinMaxScale(),
    Clip(),
    Log1p(signed=True),
    CategoryEncode(),
]


@parametrize_with_checks(BLOCKS)
def test_block_passes_the_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
