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

from ..layout import check_layout, image_dims, image_layout
from ..transform import Transform
from ..validation import check_int, check_number
from .functional import as_fill, check_fill, fill_boxes, hole_boxes

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
    lo: float
    hi: float
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


class Cutout(Transform):
    """Cut rectangular holes out of an image (DeVries & Taylor 2017).

    A small, dependency-free core ([loaders.image.functional][]). Note that
    albumentations 2.x ignores its 1.x `CoarseDropout` arguments (`max_holes`,
    `max_height`, `fill_value`) with only a warning and applies its default holes.

    Geometry:

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
    * **num_holes**: an int >= 1, or an inclusive `(min, max)` range drawn per image.
      Holes may overlap. A range may start at 0: then some images get no hole at
      all (with `(0, k)`, a fraction `1 / (k + 1)` of the applied images come back
      unchanged), on top of the `1 - p` that are not applied.
    * **fill**: a number or one number per channel (a sequence, a numpy array or a
      tensor), checked against the image's dtype when applied (integer-valued and
      in range for integer images).

    Layouts follow the rule of [loaders.layout][]: numpy arrays are `HWC`/`HW`,
    tensors `CHW`/`HW`, PIL images any mode, unless `layout=` declares otherwise
    (a tensor `(H, W, C)` with `layout="HWC"`, an array `(C, H, W)` with
    `layout="CHW"`); a shape that contradicts the default raises with the fix.
    Any real dtype, any device; the output has the same kind, dtype and shape.
    The input is never mutated: the output is a copy with only the boxes
    overwritten. An image with a zero-size side raises `ValueError`.

    Params are plain data: ``{"apply": bool, "unit": "px"|"frac", "holes":
    [[cy, cx, h, w], ...]}`` with relative centres in [0, 1). Adaptive
    strength scales the probability: ``p * strength``.

    Args:
        num_holes: holes per image, int >= 1 or a (min, max) range.
        size: hole size (see above). Default 0.5: half of each side (16x16 on
            CIFAR's 32x32, the paper's setting).
        fill: fill value(s).
        p: probability of applying.
        layout: `None` (the default of the input's type), `"CHW"` or `"HWC"`.

    Raises:
        TypeError: an argument has the wrong type (e.g. `size="big"`).
        ValueError: an argument is out of range (e.g. `size=0`, `num_holes=(3, 1)`).

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

    #: Class default, so that instances pickled before `layout` existed load with the type's default.
    layout: str | None = None

    def __init__(
        self,
        num_holes: int | tuple[int, int] = 1,
        size: int | float | tuple[int, int] | tuple[float, float] = 0.5,
        fill: Any = 0,
        p: float = 0.5,
        layout: str | None = None,
    ) -> None:
        super().__init__(p=p)
        self._holes_range, self.num_holes = _check_num_holes(num_holes)
        self._unit, self._size_range, self.size = _check_size(size)
        self.fill = as_fill(fill, "Cutout")
        self.layout = check_layout(layout, "Cutout")

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

    def fixed_draws(self) -> tuple[int, str, Any] | None:
        """``(holes, unit, size)`` when the hole count and size are fixed, else ``None``.

        Then an applied `sample` draws exactly ``1 + 2 * holes`` uniforms from its generator: the
        apply decision (``rng.random() < effective_p``) and each hole's centre ``(cy, cx)``
        (``rng.random(2)``), so a batch's params can be computed from the first words of every
        sample's stream at once (what [collate.BatchStage][collate.stage.BatchStage] does).

        Example:
            >>> Cutout(size=0.5).fixed_draws(), Cutout(size=(2, 4)).fixed_draws()
            ((1, 'frac', 0.5), None)
        """
        lo, hi = self._holes_range
        slo, shi = self._size_range
        if lo != hi or slo != shi:
            return None
        return lo, self._unit, (float(slo) if self._unit == "frac" else int(slo))

    def _apply(self, x: Any, params: dict[str, Any]) -> Any:
        layout = image_layout(x, self.layout, "Cutout")
        h, w, c = image_dims(x, layout, "Cutout")
        if h == 0 or w == 0:
            raise ValueError(f"Cutout: the image has a zero-size side (height {h}, width {w}); nothing to cut")
        values = check_fill(self.fill, x, c, "Cutout")  # validated against this image even without a hole
        boxes = hole_boxes(params["holes"], params["unit"], h, w)
        if not boxes:
            return x
        return fill_boxes(x, boxes, values, layout)
