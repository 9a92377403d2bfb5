"""Image transforms with their own dependency-free core: [Cutout][loaders.image.Cutout].

The transform follows *sample, then apply*: `sample(rng)` draws plain data (hole
centres and sizes), `apply(x, params)` calls the pure functions of
[loaders.image.functional][] and never mutates `x`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..transform import Transform
from ..validation import check_int, check_number
from .functional import check_fill, cutout, hole_boxes, image_size

__all__ = ["Cutout"]


# ---------------------------------------------------------------------------
# Cutout
# ---------------------------------------------------------------------------
def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_float(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, numbers.Integral))


def _check_size(size: Any) -> tuple[str, tuple[Any, Any], Any]:
    """Return ``(unit, (lo, hi), normalised size)``; ints are pixels, floats fractions of each side."""
    if isinstance(size, (str, bytes)):
        raise TypeError(
            f"Cutout: size must be an int (pixels), a float in (0, 1] (fraction of each side) "
            f"or a (min, max) pair of either, got {size!r}"
        )
    if isinstance(size, Sequence):
        if len(size) != 2:
            raise ValueError(f"Cutout: size as a sequence must be a (min, max) pair, got {size!r}")
        pair = tuple(size)
    else:
        pair = (size, size)
    if all(_is_int(v) for v in pair):
        lo = check_int("size", pair[0], low=1, owner="Cutout")
        hi = check_int("size", pair[1], low=1, owner="Cutout")
        unit = "px"
    elif all(_is_float(v) for v in pair):
        lo = check_number("size", pair[0], low=0.0, high=1.0, low_inclusive=False, owner="Cutout")
        hi = check_number("size", pair[1], low=0.0, high=1.0, low_inclusive=False, owner="Cutout")
        unit = "frac"
    else:
        raise TypeError(
            f"Cutout: size must be an int (pixels), a float in (0, 1] (fraction of each side) or a "
            f"(min, max) pair of two ints or two floats (not mixed), got {size!r}"
        )
    if lo > hi:
        raise ValueError(f"Cutout: size range must be ordered (min <= max), got {size!r}")
    norm = (lo, hi) if isinstance(size, Sequence) else lo
    return unit, (lo, hi), norm


def _check_num_holes(num_holes: Any) -> tuple[tuple[int, int], Any]:
    if isinstance(num_holes, Sequence) and not isinstance(num_holes, (str, bytes)):
        if len(num_holes) != 2:
            raise ValueError(f"Cutout: num_holes as a sequence must be a (min, max) pair, got {num_holes!r}")
        lo = check_int("num_holes[0]", num_holes[0], low=0, owner="Cutout")
        hi = check_int("num_holes[1]", num_holes[1], low=1, owner="Cutout")
        if lo > hi:
            raise ValueError(f"Cutout: num_holes range must be ordered (min <= max), got {num_holes!r}")
        return (lo, hi), (lo, hi)
    n = check_int("num_holes", num_holes, low=1, owner="Cutout")
    return (n, n), n


def _check_fill_arg(fill: Any) -> float | tuple[float, ...]:
    if isinstance(fill, Sequence) and not isinstance(fill, (str, bytes)):
        if len(fill) == 0:
            raise ValueError("Cutout: fill must not be an empty sequence")
        vals = tuple(check_number(f"fill[{i}]", v, owner="Cutout") for i, v in enumerate(fill))
        return tuple(int(v) if _is_int(o) else v for v, o in zip(vals, fill, strict=True))
    v = check_number("fill", fill, owner="Cutout")
    return int(fill) if _is_int(fill) else v


class Cutout(Transform):
    """Cut rectangular holes out of an image (DeVries & Taylor 2017), done right.

    The seed notebook used ``A.CoarseDropout(max_holes=1, max_height=128, ...)``:
    albumentations 2.x ignores those 1.x arguments (with only a warning) and
    applies its default holes instead. This transform has its own small,
    dependency-free core.

    Geometry (decided and tested):

    * **Centres** are uniform over the whole image, so a hole near an edge is
      clipped and covers less area, exactly as in the Cutout paper (on average a
      hole of side ``L`` on a side of ``S`` pixels covers about ``L - L**2/(4 S)``
      rows). albumentations' ``CoarseDropout`` instead keeps holes inside.
    * **size** ``int``: a square hole of that many pixels. ``float`` in (0, 1]:
      that fraction of *each* side (``round(f * H)`` rows by ``round(f * W)``
      columns, at least one pixel), so the hole has the image's aspect ratio on
      non-square images. ``(min, max)`` of two ints or two floats: drawn
      uniformly per hole (integers inclusive). ``1`` is one pixel, ``1.0`` a hole as
      large as the image (clipped like any other, so it covers all of it only when centred).
    * **num_holes**: an int, or an inclusive ``(min, max)`` range drawn per image.
      Holes may overlap.
    * **fill**: a number or one number per channel, checked against the image's
      dtype when applied (integer-valued and in range for integer images).

    Works on ``HWC``/``HW`` numpy arrays (uint8, float, ...), ``CHW``/``HW``
    torch tensors (any real dtype, any device) and PIL images (any mode), and
    returns the same kind, dtype and shape. The input is never mutated: the
    output is a copy with only the boxes overwritten.

    Params are plain data: ``{"apply": bool, "unit": "px"|"frac", "holes":
    [[cy, cx, h, w], ...]}`` with relative centres in [0, 1). Adaptive
    strength scales the probability: ``p * strength``.

    Args:
        num_holes: holes per image, int >= 1 or a (min, max) range.
        size: hole size (see above). Default 0.5: half of each side (16x16 on
            CIFAR's 32x32, the paper's setting).
        fill: fill value(s).
        p: probability of applying.

    Example:
        >>> import numpy as np
        >>> t = Cutout(size=4, fill=0, p=1.0)
        >>> img = np.full((8, 8, 3), 255, dtype=np.uint8)
        >>> params = t.sample(np.random.default_rng(0))
        >>> sorted(params)
        ['apply', 'holes', 'unit']
        >>> out = t.apply(img, params)
        >>> out.shape, out.dtype, int(img.min())
        ((8, 8, 3), dtype('uint8'), 255)
    """

    def __init__(
        self,
        num_holes: int | tuple[int, int] = 1,
        size: int | float | tuple[int, int] | tuple[float, float] = 0.5,
        fill: float | Sequence[float] = 0,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self._holes_range, self.num_holes = _check_num_holes(num_holes)
        self._unit, self._size_range, self.size = _check_size(size)
        self.fill = _check_fill_arg(fill)

    def _sample(self, rng: np.random.Generator, strength: float) -> dict[str, Any]:
        lo, hi = self._holes_range
        n = int(rng.integers(lo, hi + 1)) if hi > lo else lo
        holes = []
        slo, shi = self._size_range
        for _ in range(n):
            cy, cx = (float(v) for v in rng.random(2))
            if self._unit == "px":
                s: Any = int(rng.integers(slo, shi + 1)) if shi > slo else int(slo)
            else:
                s = float(rng.uniform(slo, shi)) if shi > slo else float(slo)
            holes.append([cy, cx, s, s])
        return {"unit": self._unit, "holes": holes}

    def _apply(self, x: Any, params: dict[str, Any]) -> Any:
        h, w, _ = image_size(x)
        boxes = hole_boxes(params["holes"], params["unit"], h, w)
        if not boxes:  # still validate the fill against this image
            check_fill(self.fill, x, image_size(x)[2], "Cutout")
            return x
        try:
            return cutout(x, boxes, self.fill)
        except ValueError as e:
            raise ValueError(str(e).replace("cutout:", "Cutout:", 1)) from None
