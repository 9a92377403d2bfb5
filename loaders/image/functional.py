"""Pure image operations: the functional core under [Cutout][loaders.image.Cutout].

Image layouts (the same for every function here):

* `numpy.ndarray`: `HWC` or `HW` (grayscale), any real dtype;
* `torch.Tensor`: `CHW` or `HW`, any real dtype, any device;
* `PIL.Image.Image`: any mode (the fill is pasted with PIL's own `paste`).

Every function is deterministic and never mutates its input.

Example:
    >>> import numpy as np
    >>> img = np.full((4, 6, 3), 255, dtype=np.uint8)
    >>> out = cutout(img, [(1, 3, 2, 5)], fill=0)       # rows 1:3, columns 2:5
    >>> int((out == 0).all(axis=2).sum()), int(img.min())  # 6 pixels cut, input untouched
    (6, 255)
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..layout import image_dims, image_layout
from ..validation import check_choice

try:  # Pillow is a torchvision dependency; keep the module importable without it.
    from PIL import Image as _PILImage
except ImportError:  # pragma: no cover - Pillow is always installed with torchvision
    _PILImage = None  # type: ignore[assignment]

__all__ = [
    "Box",
    "as_fill",
    "check_fill",
    "cutout",
    "fill_boxes",
    "hole_boxes",
    "hole_boxes_batch",
    "image_size",
    "is_pil_image",
]

#: A pixel box `(y0, y1, x0, x1)`, half-open, already clipped to the image.
Box = tuple[int, int, int, int]

#: torch dtypes that have a numpy equivalent (`Tensor.numpy()` works on CPU).
_NUMPY_TORCH_DTYPES = frozenset(
    {
        torch.bool,
        torch.uint8,
        torch.int8,
        torch.int16,
        torch.int32,
        torch.int64,
        torch.float16,
        torch.float32,
        torch.float64,
    }
)


# ---------------------------------------------------------------------------
# functional core
# ---------------------------------------------------------------------------
def is_pil_image(x: Any) -> bool:
    """Whether `x` is a PIL image (False when Pillow is not installed).

    Args:
        x: anything.

    Returns:
        `True` for a `PIL.Image.Image`.

    Example:
        >>> is_pil_image(np.zeros((2, 2)))
        False
    """
    return _PILImage is not None and isinstance(x, _PILImage.Image)


def image_size(x: Any, layout: str | None = None) -> tuple[int, int, int]:
    """`(height, width, channels)` of one image, read with the layout rule of [loaders.layout][].

    Args:
        x: a numpy array (`HWC`/`HW` by default), a tensor (`CHW`/`HW` by default) or a PIL image.
        layout: the declared layout of a 3-D image (`"CHW"` or `"HWC"`), or `None` for the default
            of its type (checked against the shape).

    Returns:
        `(height, width, channels)`; 2-D images have one channel.

    Raises:
        TypeError: `x` is not a numpy array, tensor or PIL image.
        ValueError: `x` is not one 2-D/3-D image, or its shape contradicts the default layout.

    Example:
        >>> image_size(torch.zeros(3, 5, 7)), image_size(np.zeros((5, 7))), image_size(np.zeros((3, 5, 7)), "CHW")
        ((5, 7, 3), (5, 7, 1), (5, 7, 3))
    """
    return image_dims(x, layout, "image_size")


def _round_half_up(v: float) -> int:
    return int(math.floor(v + 0.5))


def hole_boxes(holes: Sequence[Sequence[float]], unit: str, height: int, width: int) -> list[Box]:
    """Turn relative hole parameters into pixel boxes clipped to the image.

    Each hole is ``(cy, cx, h, w)``: the centre as a fraction of the height and
    width (``[0, 1)``), and the size in pixels (``unit="px"``) or as a fraction
    of each side (``unit="frac"``; rounded half up, at least one pixel). The
    centre pixel is ``(floor(cy * H), floor(cx * W))``; the hole spans rows
    ``cy_px - h // 2`` to ``cy_px - h // 2 + h`` (half-open) and is clipped at
    the border, as in the Cutout paper (DeVries & Taylor 2017), so holes near
    an edge cover less than ``h * w`` pixels. Empty boxes are dropped. For even
    sizes this is exactly the paper's reference code; for odd sizes that code
    cuts one row/column less (``y - L//2`` to ``y + L//2``), here the hole has
    exactly ``L`` rows.

    Args:
        holes: `(cy, cx, h, w)` per hole.
        unit: `"px"` or `"frac"`.
        height: the image height in pixels.
        width: the image width in pixels.

    Returns:
        The non-empty boxes `(y0, y1, x0, x1)`, half-open, in the order of `holes`.

    Raises:
        ValueError: `unit` is not `"px"` or `"frac"`.

    Example:
        >>> hole_boxes([(0.0, 0.5, 4, 4)], "px", 8, 8)   # centre on the top edge: half the hole
        [(0, 2, 2, 6)]
        >>> hole_boxes([(0.5, 0.5, 0.5, 0.5)], "frac", 8, 16)  # fractions of each side
        [(2, 6, 4, 12)]
    """
    check_choice("unit", unit, ("px", "frac"), owner="hole_boxes")
    boxes: list[Box] = []
    for cy, cx, h, w in holes:
        if unit == "frac":
            hp, wp = max(1, _round_half_up(h * height)), max(1, _round_half_up(w * width))
        else:
            hp, wp = int(h), int(w)
        yc = min(int(cy * height), height - 1)
        xc = min(int(cx * width), width - 1)
        y0, x0 = yc - hp // 2, xc - wp // 2
        y0c, y1c = max(y0, 0), min(y0 + hp, height)
        x0c, x1c = max(x0, 0), min(x0 + wp, width)
        if y1c > y0c and x1c > x0c:
            boxes.append((y0c, y1c, x0c, x1c))
    return boxes


def hole_boxes_batch(
    cy: np.ndarray, cx: np.ndarray, size: Any, unit: str, height: int, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """[hole_boxes][loaders.image.functional.hole_boxes] for one hole of a fixed size in many images.

    Args:
        cy: the centres' row fractions, one per image (float64, in ``[0, 1)``).
        cx: the centres' column fractions.
        size: the hole side in pixels (``unit="px"``) or as a fraction of each side (``"frac"``).
        unit: `"px"` or `"frac"`.
        height: the images' height in pixels.
        width: the images' width in pixels.

    Returns:
        ``(y0, y1, x0, x1)`` int64 arrays: the clipped half-open box of each image, the same
        numbers as ``hole_boxes([(cy[i], cx[i], size, size)], unit, height, width)`` (an empty box
        where that list is empty: ``y1 <= y0`` or ``x1 <= x0``).

    Example:
        >>> [v.tolist() for v in hole_boxes_batch(np.array([0.0, 0.5]), np.array([0.5, 0.5]), 4, "px", 8, 8)]
        [[0, 2], [2, 6], [2, 2], [6, 6]]
    """
    check_choice("unit", unit, ("px", "frac"), owner="hole_boxes_batch")
    if unit == "frac":
        hp, wp = max(1, _round_half_up(size * height)), max(1, _round_half_up(size * width))
    else:
        hp, wp = int(size), int(size)
    # int(v) truncates toward zero: the same as astype for the non-negative products here
    yc = np.minimum((cy * height).astype(np.int64), height - 1)
    xc = np.minimum((cx * width).astype(np.int64), width - 1)
    y0, x0 = yc - hp // 2, xc - wp // 2
    return np.maximum(y0, 0), np.minimum(y0 + hp, height), np.maximum(x0, 0), np.minimum(x0 + wp, width)


# fill validation -------------------------------------------------------------
_PIL_RANGES = {"1": (0, 1), "I": (-(2**31), 2**31 - 1), "F": None}


def _pil_range(mode: str) -> tuple[int, int] | None:
    if mode in _PIL_RANGES:
        return _PIL_RANGES[mode]
    if mode.startswith("I;16"):
        return (0, 65535)
    return (0, 255)  # every other mode stores 8 bits per band (L, P, RGB, RGBA, LA, CMYK, YCbCr, HSV, ...)


def _dtype_key(x: Any) -> tuple[str, Any]:
    if isinstance(x, torch.Tensor):
        return ("torch", x.dtype)
    if isinstance(x, np.ndarray):
        return ("numpy", x.dtype)
    return ("pil", x.mode)


@functools.lru_cache(maxsize=256)
def _dtype_info(key: tuple[str, Any]) -> tuple[str, tuple[float, float] | None, str]:
    """``(kind, (lo, hi) or None, name)`` with kind 'f' (float), 'i' (integer) or 'b' (bool)."""
    lib, dt = key
    if lib == "torch":
        if dt == torch.bool:
            return "b", (0, 1), str(dt)
        if dt.is_floating_point:
            fi = torch.finfo(dt)
            return "f", (float(fi.min), float(fi.max)), str(dt)
        if dt.is_complex:
            raise TypeError(f"image tensor dtype {dt} is not supported (complex); use a real dtype")
        ii = torch.iinfo(dt)
        return "i", (ii.min, ii.max), str(dt)
    if lib == "numpy":
        if dt.kind == "b":
            return "b", (0, 1), str(dt)
        if dt.kind == "f":
            nfi = np.finfo(dt)
            return "f", (float(nfi.min), float(nfi.max)), str(dt)
        if dt.kind in "iu":
            nii = np.iinfo(dt)
            return "i", (int(nii.min), int(nii.max)), str(dt)
        raise TypeError(f"image array dtype {dt} is not supported; use a real (bool, integer or float) dtype")
    rng = _pil_range(dt)
    return ("f" if rng is None else "i"), rng, f"PIL mode {dt!r}"


def check_fill(fill: float | tuple[float, ...], x: Any, channels: int, owner: str) -> tuple[float, ...]:
    """Validate `fill` against the image's dtype and channel count; return one value per channel.

    Args:
        fill: a number or a tuple of one number per channel.
        x: the image the fill is meant for (its dtype or PIL mode sets the allowed values).
        channels: the image's channel count.
        owner: the name used in error messages.

    Returns:
        One value per channel (ints for integer and bool images).

    Raises:
        ValueError: wrong number of values, a non-integer value for an integer image,
            or a value outside the dtype's range.

    Example:
        >>> check_fill(7, np.zeros((2, 2, 3), np.uint8), 3, "cutout")
        (7, 7, 7)
    """
    try:
        return _resolve_fill(fill, _dtype_key(x), channels, owner)
    except TypeError as e:  # an unsupported dtype: say who is asking
        raise TypeError(f"{owner}: {e}") from None


@functools.lru_cache(maxsize=1024)
def _resolve_fill(
    fill: float | tuple[float, ...], key: tuple[str, Any], channels: int, owner: str
) -> tuple[float, ...]:
    values = tuple(fill) if isinstance(fill, tuple) else (fill,) * channels
    if len(values) not in (1, channels):
        raise ValueError(
            f"{owner}: fill has {len(values)} values but the image has {channels} channel(s); "
            f"give one number or one per channel, got fill={fill!r}"
        )
    if len(values) == 1:
        values = values * channels
    kind, bounds, name = _dtype_info(key)
    for v in values:
        if kind in "ib" and float(v) != int(v):
            raise ValueError(f"{owner}: fill={fill!r} is not integer-valued but the image dtype is {name}")
        if bounds is not None and not (bounds[0] <= v <= bounds[1]):
            raise ValueError(
                f"{owner}: fill={fill!r} is outside the range [{bounds[0]}, {bounds[1]}] of the image dtype {name}"
            )
    return tuple(int(v) for v in values) if kind in "ib" else values


def as_fill(fill: Any, owner: str = "cutout") -> float | tuple[float, ...]:
    """Normalise a fill argument: a number, or a sequence, numpy array or tensor of one number per channel.

    Args:
        fill: the fill value(s). A 0-d array or tensor is a number; a 1-d one gives one value per channel.
        owner: the class or function, for the message.

    Returns:
        A Python number, or a tuple of Python numbers (ints stay ints).

    Raises:
        TypeError: `fill` is not a number or a flat collection of numbers.
        ValueError: `fill` is empty, has more than one dimension, or holds NaN or infinity.

    Example:
        >>> as_fill(np.array([0, 128, 255], dtype=np.uint8)), as_fill(torch.tensor(0.5))
        ((0, 128, 255), 0.5)
    """
    if type(fill) is int or (type(fill) is float and math.isfinite(fill)):
        return fill
    if isinstance(fill, (np.ndarray, torch.Tensor)):
        if fill.ndim > 1:
            raise ValueError(
                f"{owner}: fill as an array must be 0-d or 1-d (one value per channel), got shape {tuple(fill.shape)}"
            )
        if isinstance(fill, torch.Tensor) and (fill.is_complex() or fill.dtype == torch.bool):
            raise TypeError(f"{owner}: fill must hold real numbers, got a tensor of dtype {fill.dtype}")
        if isinstance(fill, np.ndarray) and fill.dtype.kind not in "iuf":
            raise TypeError(f"{owner}: fill must hold real numbers, got an array of dtype {fill.dtype}")
        fill = fill.tolist()
    if isinstance(fill, (str, bytes)) or not isinstance(fill, (numbers.Real, Sequence)):
        raise TypeError(f"{owner}: fill must be a number or a sequence of numbers (one per channel), got {fill!r}")
    items = list(fill) if isinstance(fill, Sequence) else [fill]
    if not items:
        raise ValueError(f"{owner}: fill must not be empty")
    out: list[float] = []
    for i, v in enumerate(items):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{owner}: fill[{i}] must be a real number, got {v!r}")
        if not math.isfinite(v):
            raise ValueError(f"{owner}: fill must be finite, got {v!r}")
        out.append(int(v) if isinstance(v, numbers.Integral) else float(v))
    return tuple(out) if isinstance(fill, Sequence) else out[0]


def _region(layout: str, y0: int, y1: int, x0: int, x1: int) -> tuple[slice, ...]:
    ys, xs = slice(y0, y1), slice(x0, x1)
    return (slice(None), ys, xs) if layout == "CHW" else (ys, xs)


def cutout(x: Any, boxes: Sequence[Box], fill: Any = 0, layout: str | None = None) -> Any:
    """Return a copy of `x` with every box filled with `fill` (the input is never mutated).

    Args:
        x: one image: numpy (`HWC`/`HW` by default), torch (`CHW`/`HW` by default) or PIL.
        boxes: pixel boxes `(y0, y1, x0, x1)`, half-open, inside the image (see
            [hole_boxes][loaders.image.functional.hole_boxes]).
        fill: a number, or one number per channel (a sequence, numpy array or tensor); checked
            against the image dtype (integer-valued and in range for integer images, 0..255 for
            8-bit PIL modes).
        layout: the declared layout of a 3-D image (`"CHW"` or `"HWC"`), or `None` for the
            default of its type (see [loaders.layout][]).

    Returns:
        The same kind of image, same dtype/mode, shape and device. With no boxes, `x` itself.

    Raises:
        TypeError: `x` is not an image, or `fill` is not numeric.
        ValueError: the layout is contradicted by the shape, or `fill` does not fit the image.

    Example:
        >>> t = torch.ones(3, 4, 4)
        >>> cutout(t, [(0, 2, 0, 2)], fill=(0.5, 0.0, -1.0))[:, 0, 0].tolist()
        [0.5, 0.0, -1.0]
        >>> hwc = torch.ones(8, 8, 3)
        >>> cutout(hwc, [(0, 2, 0, 2)], fill=0, layout="HWC")[0, 0].tolist()
        [0.0, 0.0, 0.0]
    """
    lay = image_layout(x, layout, "cutout")
    c = image_dims(x, lay, "cutout")[2]
    values = check_fill(as_fill(fill, "cutout"), x, c, "cutout")
    if not boxes:
        return x
    return fill_boxes(x, boxes, values, lay)


def fill_boxes(x: Any, boxes: Sequence[Box], values: tuple[float, ...], layout: str) -> Any:
    """The unchecked core of [cutout][loaders.image.functional.cutout]: a copy of `x` with the boxes filled.

    For callers that have already resolved the layout and checked the fill (as
    [Cutout][loaders.image.Cutout] does once per image); use `cutout` otherwise.

    Args:
        x: one image.
        boxes: pixel boxes `(y0, y1, x0, x1)` inside the image.
        values: one fill value per channel, valid for the image's dtype (see
            [check_fill][loaders.image.functional.check_fill]).
        layout: the image's layout, as [image_layout][loaders.layout.image_layout] returns it.

    Returns:
        A copy of `x` (same kind, dtype, shape and device) with the boxes filled.

    Example:
        >>> fill_boxes(np.ones((2, 3), np.uint8), [(0, 1, 0, 2)], (0,), "HW").tolist()
        [[0, 0, 1], [1, 1, 1]]
    """
    c = len(values)
    uniform = c == 1 or all(v == values[0] for v in values)
    if is_pil_image(x):
        pil = x.copy()
        color: Any = values[0] if c == 1 else tuple(values)
        for y0, y1, x0, x1 in boxes:
            # Paste a solid patch of the same mode (pasting a bare colour is wrong for 16-bit modes).
            pil.paste(_PILImage.new(x.mode, (x1 - x0, y1 - y0), color), (x0, y0))
        return pil
    shape = (c, 1, 1) if layout == "CHW" else (c,)
    if isinstance(x, torch.Tensor):
        out = x.clone()
        if out.device.type != "cpu" or out.requires_grad or out.dtype not in _NUMPY_TORCH_DTYPES:
            fill_t = None if uniform else torch.tensor(values, dtype=x.dtype, device=x.device).view(shape)
            for box in boxes:
                region = out[_region(layout, *box)]
                if fill_t is None:
                    region.fill_(values[0])
                else:
                    region.copy_(fill_t.expand_as(region))
            return out
        # Fill through a zero-copy numpy view: several times faster than torch's
        # strided slice assignment on small CPU images.
        view = out.numpy()
    else:
        out = view = x.copy()
    val = values[0] if uniform else np.asarray(values, dtype=view.dtype).reshape(shape)
    for box in boxes:
        view[_region(layout, *box)] = val
    return out
