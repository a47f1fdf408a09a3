"""``ImageResize``: images (arrays or file paths) to fixed-size pixel arrays (Pillow)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..errors import BlockInputError, InvalidSpec
from .base import Block, Columns

_MODES = {"L": 1, "RGB": 3}


class ImageResize(Block):
    """Resize each image to ``size`` (width, height) in ``mode`` (``"L"`` or ``"RGB"``).

    Cells hold an image as a numpy array (H x W or H x W x C, uint8 or floats in 0..1),
    raw file bytes, or a path. With ``flatten=True`` (the default, what LightGBM can
    use) each image column becomes ``width * height * channels`` float columns
    ``<column>__p0 …`` with values in 0..1; with ``flatten=False`` it stays one column
    of ``(height, width[, channels])`` uint8 arrays.
    """

    input_kind = "any"
    non_null = True
    resources: ClassVar[dict[str, Any]] = {"cpu": "2", "memory": "4Gi", "gpu": 0}
    _array_dtype = None

    def __init__(self, columns: Sequence[str] | None = None,
                 size: tuple[int, int] = (32, 32), mode: str = "L",
                 flatten: bool = True) -> None:
        self.columns = columns
        self.size = size
        self.mode = mode
        self.flatten = flatten

    def _fit(self, cols: Columns, y: Any) -> None:
        if self.mode not in _MODES:
            raise InvalidSpec(f"ImageResize: mode must be one of {sorted(_MODES)}")
        w, h = (int(v) for v in self.size)
        if w < 1 or h < 1:
            raise InvalidSpec(f"ImageResize: size {self.size} must be positive")

    def _pixels(self) -> int:
        w, h = (int(v) for v in self.size)
        return w * h * _MODES[self.mode]

    def _names_for(self, routed: list[str]) -> list[str]:
        if not self.flatten:
            return routed
        return [f"{c}__p{i}" for c in routed for i in range(self._pixels())]

    def _load(self, column: str, cell: Any) -> Any:
        import io

        from PIL import Image

        try:
            if isinstance(cell, Image.Image):
                img = cell
            elif isinstance(cell, bytes | bytearray):
                img = Image.open(io.BytesIO(cell))
            elif isinstance(cell, str):
                img = Image.open(cell)
            else:
                arr = np.asarray(cell)
                if arr.dtype.kind == "f":
                    arr = np.clip(np.rint(arr * 255.0), 0, 255)
                arr = arr.astype(np.uint8)
                if arr.ndim == 3 and arr.shape[2] == 1:
                    arr = arr[:, :, 0]
                img = Image.fromarray(arr)
            w, h = (int(v) for v in self.size)
            return img.convert(self.mode).resize((w, h), Image.Resampling.BILINEAR)
        except (OSError, ValueError, TypeError) as exc:
            raise BlockInputError(self.block_name, column,
                                  "an image: a path, file bytes or an H x W[ x C] array",
                                  f"holds a cell that is not one ({exc})") from exc

    def _apply(self, cols: Columns) -> Columns:
        out: Columns = {}
        for name, values in cols.items():
            images = [np.asarray(self._load(name, cell), dtype=np.uint8)
                      for cell in np.asarray(values, dtype=object).tolist()]
            if not self.flatten:
                arr = np.empty(len(images), dtype=object)
                arr[:] = images
                out[name] = arr
                continue
            flat = (np.stack(images).reshape(len(images), -1).astype(np.float64) / 255.0
                    if images else np.empty((0, self._pixels())))
            for i in range(flat.shape[1]):
                out[f"{name}__p{i}"] = flat[:, i]
        return out
