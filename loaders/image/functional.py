"""Image transforms: :class:`Cutout` and :class:`Albumentations` (any albumentations pipeline, keyed).

Both follow *sample, then apply*: ``sample(rng)`` draws plain data (hole
centres and sizes; a sub-seed for albumentations), ``apply(x, params)`` is
deterministic and never mutates ``x``.

Image layouts (the same for every function here):

* ``numpy.ndarray``: ``HWC`` or ``HW`` (grayscale), any real dtype;
* ``torch.Tensor``: ``CHW`` or ``HW``, any real dtype, any device;
* ``PIL.Image.Image``: any mode (the fill is pasted with PIL's own ``paste``).

The functional core (:func:`hole_boxes`, :func:`cutout`) is pure; the classes
validate their arguments and draw the parameters.

Example:
    >>> import numpy as np
    >>> img = np.full((4, 6, 3), 255, dtype=np.uint8)
    >>> out = cutout(img, [(1, 3, 2, 5)], fill=0)       # rows 1:3, columns 2:5
    >>> int((out == 0).all(axis=2).sum()), int(img.min())  # 6 pixels cut, input untouched
    (6, 255)
"""

from __future__ import annotations

import copy
import functools
import math
import numbers
import random
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from .validation import check_choice, check_int, check_number
from .transform import Transform

try:  # Pillow is a torchvision dependency; keep the module importable without it.
    from PIL import Image as _PILImage
except ImportError:  # pragma: no cover - Pillow is always installed with torchvision
    _PILImage = None

__all__ = ["Cutout", "Albumentations", "cutout", "hole_boxes", "image_size"]

Box = Tuple[int, int, int, int]  # (y0, y1, x0, x1), half-open, already clipped

#: torch dtypes that have a numpy equivalent (``Tensor.numpy()`` works on CPU).
_NUMPY_TORCH_DTYPES = frozenset({torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
                                 torch.float16, torch.float32, torch.float64})


# ---------------------------------------------------------------------------
# functional core
# ---------------------------------------------------------------------------
def _is_pil(x: Any) -> bool:
    return _PILImage is not None and isinstance(x, _PILImage.Image)


def image_size(x: Any) -> Tuple[int, int, int]:
    """``(height, width, channels)`` of an image in one of the supported layouts.

    Raises:
        TypeError: ``x`` is not a numpy array, tensor or PIL image.
        ValueError: the array has a layout other than ``HW``/``HWC`` (numpy) or ``HW``/``CHW`` (torch).

    Example:
        >>> image_size(torch.zeros(3, 5, 7)), image_size(np.zeros((5, 7)))
        ((5, 7, 3), (5, 7, 1))
    """
    if isinstance(x, torch.Tensor):
        if x.ndim == 2:
            return int(x.shape[0]), int(x.shape[1]), 1
        if x.ndim == 3:
            return int(x.shape[1]), int(x.shape[2]), int(x.shape[0])
        raise ValueError(f"image tensor must be CHW or HW (one sample, not a batch), got shape {tuple(x.shape)}")
    if isinstance(x, np.ndarray):
        if x.ndim == 2:
            return int(x.shape[0]), int(x.shape[1]), 1
        if x.ndim == 3:
            return int(x.shape[0]), int(x.shape[1]), int(x.shape[2])
        raise ValueError(f"image array must be HWC or HW (one sample, not a batch), got shape {x.shape}")
    if _is_pil(x):
        return int(x.size[1]), int(x.size[0]), len(x.getbands())
    raise TypeError(
        f"image must be a numpy array (HWC/HW), a torch tensor (CHW/HW) or a PIL image, got {type(x).__name__}"
    )


def _round_half_up(v: float) -> int:
    return int(math.floor(v + 0.5))


def hole_boxes(holes: Sequence[Sequence[float]], unit: str, height: int, width: int) -> List[Box]:
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

    Example:
        >>> hole_boxes([(0.0, 0.5, 4, 4)], "px", 8, 8)   # centre on the top edge: half the hole
        [(0, 2, 2, 6)]
        >>> hole_boxes([(0.5, 0.5, 0.5, 0.5)], "frac", 8, 16)  # fractions of each side
        [(2, 6, 4, 12)]
    """
    check_choice("unit", unit, ("px", "frac"), owner="hole_boxes")
    boxes: List[Box] = []
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


# fill validation -------------------------------------------------------------
_PIL_RANGES = {"1": (0, 1), "I": (-(2 ** 31), 2 ** 31 - 1), "F": None}


def _pil_range(mode: str) -> Optional[Tuple[int, int]]:
    if mode in _PIL_RANGES:
        return _PIL_RANGES[mode]
    if mode.startswith("I;16"):
        return (0, 65535)
    return (0, 255)  # every other mode stores 8 bits per band (L, P, RGB, RGBA, LA, CMYK, YCbCr, HSV, ...)


def _dtype_key(x: Any) -> Tuple[str, Any]:
    if isinstance(x, torch.Tensor):
        return ("torch", x.dtype)
    if isinstance(x, np.ndarray):
        return ("numpy", x.dtype)
    return ("pil", x.mode)


@functools.lru_cache(maxsize=256)
def _dtype_info(key: Tuple[str, Any]) -> Tuple[str, Optional[Tuple[float, float]], str]:
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
            fi = np.finfo(dt)
            return "f", (float(fi.min), float(fi.max)), str(dt)
        if dt.kind in "iu":
            ii = np.iinfo(dt)
            return "i", (int(ii.min), int(ii.max)), str(dt)
        raise TypeError(f"image array dtype {dt} is not supported; use a real (bool, integer or float) dtype")
    rng = _pil_range(dt)
    return ("f" if rng is None else "i"), rng, f"PIL mode {dt!r}"


def _check_fill(fill: Union[float, Tuple[float, ...]], x: Any, channels: int, owner: str) -> Tuple[float, ...]:
    """Validate ``fill`` against the image's dtype and channel count; return one value per channel."""
    return _resolve_fill(fill, _dtype_key(x), channels, owner)


@functools.lru_cache(maxsize=1024)
def _resolve_fill(fill: Union[float, Tuple[float, ...]], key: Tuple[str, Any], channels: int,
                  owner: str) -> Tuple[float, ...]:
    values = tuple(fill) if isinstance(fill, tuple) else (fill,) * channels
    if len(values) not in (1, channels):
        raise ValueError(f"{owner}: fill has {len(values)} values but the image has {channels} channel(s); "
                         f"give one number or one per channel, got fill={fill!r}")
    if len(values) == 1:
        values = values * channels
    kind, bounds, name = _dtype_info(key)
    for v in values:
        if kind in "ib" and float(v) != int(v):
            raise ValueError(f"{owner}: fill={fill!r} is not integer-valued but the image dtype is {name}")
        if bounds is not None and not (bounds[0] <= v <= bounds[1]):
            raise ValueError(f"{owner}: fill={fill!r} is outside the range [{bounds[0]}, {bounds[1]}] "
                             f"of the image dtype {name}")
    return tuple(int(v) for v in values) if kind in "ib" else values


def cutout(x: Any, boxes: Sequence[Box], fill: Union[float, Sequence[float]] = 0) -> Any:
    """Return a copy of ``x`` with every box filled with ``fill`` (the input is never mutated).

    Args:
        x: image (numpy ``HWC``/``HW``, torch ``CHW``/``HW``, or PIL).
        boxes: pixel boxes ``(y0, y1, x0, x1)``, half-open, inside the image (see :func:`hole_boxes`).
        fill: a number, or one number per channel; checked against the image dtype
            (integer-valued and in range for integer images, 0..255 for 8-bit PIL modes).

    Returns:
        The same kind of image, same dtype/mode, shape and device. With no boxes, ``x`` itself.

    Example:
        >>> t = torch.ones(3, 4, 4)
        >>> cutout(t, [(0, 2, 0, 2)], fill=(0.5, 0.0, -1.0))[:, 0, 0].tolist()
        [0.5, 0.0, -1.0]
    """
    h, w, c = image_size(x)
    if isinstance(fill, (str, bytes)) or not (isinstance(fill, numbers.Real) or isinstance(fill, Sequence)):
        raise TypeError(f"cutout: fill must be a number or a sequence of numbers, got {fill!r}")
    values = _check_fill(tuple(fill) if isinstance(fill, Sequence) else fill, x, c, "cutout")
    if not boxes:
        return x
    uniform = all(v == values[0] for v in values)
    if isinstance(x, torch.Tensor):
        out = x.clone()
        if out.device.type == "cpu" and not out.requires_grad and out.dtype in _NUMPY_TORCH_DTYPES:
            # Fill through a zero-copy numpy view: several times faster than torch's
            # strided slice assignment on small CPU images.
            view = out.numpy()
            if out.ndim == 3:
                val = values[0] if uniform else np.asarray(values, dtype=view.dtype).reshape(c, 1, 1)
                for y0, y1, x0, x1 in boxes:
                    view[:, y0:y1, x0:x1] = val
            else:
                for y0, y1, x0, x1 in boxes:
                    view[y0:y1, x0:x1] = values[0]
            return out
        if out.ndim == 3:
            fill_t = None if uniform else torch.tensor(values, dtype=x.dtype, device=x.device).view(c, 1, 1)
            for y0, y1, x0, x1 in boxes:
                region = out[:, y0:y1, x0:x1]
                if fill_t is None:
                    region.fill_(values[0])
                else:
                    region.copy_(fill_t.expand_as(region))
        else:
            for y0, y1, x0, x1 in boxes:
                out[y0:y1, x0:x1].fill_(values[0])
        return out
    if isinstance(x, np.ndarray):
        out = x.copy()
        val = values[0] if uniform else np.asarray(values, dtype=x.dtype)
        for y0, y1, x0, x1 in boxes:
            out[y0:y1, x0:x1] = val
        return out
    out = x.copy()
    color: Any = values[0] if c == 1 else tuple(values)
    for y0, y1, x0, x1 in boxes:
        # Paste a solid patch of the same mode (pasting a bare colour is wrong for 16-bit modes).
        out.paste(_PILImage.new(x.mode, (x1 - x0, y1 - y0), color), (x0, y0))
    return out


# ---------------------------------------------------------------------------
# Cutout
# ---------------------------------------------------------------------------
def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_float(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, numbers.Integral))


def _check_size(size: Any) -> Tuple[str, Tuple[Any, Any], Any]:
    """Return ``(unit, (lo, hi), normalised size)``; ints are pixels, floats fractions of each side."""
    if isinstance(size, (str, bytes)):
        raise TypeError(f"Cutout: size must be an int (pixels), a float in (0, 1] (fraction of each side) "
                        f"or a (min, max) pair of either, got {size!r}")
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
        raise TypeError(f"Cutout: size must be an int (pixels), a float in (0, 1] (fraction of each side) or a "
                        f"(min, max) pair of two ints or two floats (not mixed), got {size!r}")
    if lo > hi:
        raise ValueError(f"Cutout: size range must be ordered (min <= max), got {size!r}")
    norm = (lo, hi) if isinstance(size, Sequence) else lo
    return unit, (lo, hi), norm


def _check_num_holes(num_holes: Any) -> Tuple[Tuple[int, int], Any]:
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


def _check_fill_arg(fill: Any) -> Union[float, Tuple[float, ...]]:
    if isinstance(fill, Sequence) and not isinstance(fill, (str, bytes)):
        if len(fill) == 0:
            raise ValueError("Cutout: fill must not be an empty sequence")
        vals = tuple(check_number(f"fill[{i}]", v, owner="Cutout") for i, v in enumerate(fill))
        return tuple(int(v) if _is_int(o) else v for v, o in zip(vals, fill))
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

    def __init__(self, num_holes: Union[int, Tuple[int, int]] = 1,
                 size: Union[int, float, Tuple[int, int], Tuple[float, float]] = 0.5,
                 fill: Union[float, Sequence[float]] = 0, p: float = 0.5) -> None:
        super().__init__(p=p)
        self._holes_range, self.num_holes = _check_num_holes(num_holes)
        self._unit, self._size_range, self.size = _check_size(size)
        self.fill = _check_fill_arg(fill)

    def _sample(self, rng: np.random.Generator, strength: float) -> Dict[str, Any]:
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

    def _apply(self, x: Any, params: Dict[str, Any]) -> Any:
        h, w, _ = image_size(x)
        boxes = hole_boxes(params["holes"], params["unit"], h, w)
        if not boxes:  # still validate the fill against this image
            _check_fill(self.fill, x, image_size(x)[2], "Cutout")
            return x
        try:
            return cutout(x, boxes, self.fill)
        except ValueError as e:
            raise ValueError(str(e).replace("cutout:", "Cutout:", 1)) from None

    @classmethod
    def _harness_examples(cls):
        rng = np.random.default_rng(0)
        u8 = rng.integers(0, 256, size=(12, 20, 3), dtype=np.uint8)
        examples = [
            (cls(size=0.5, p=1.0), u8),
            (cls(num_holes=(1, 3), size=(2, 6), fill=(255, 0, 128), p=0.8), u8),
            (cls(size=(0.2, 0.6), fill=0.5, p=1.0), rng.random((9, 13), dtype=np.float32)),
            (cls(num_holes=2, size=0.4, fill=-1.0, p=1.0), torch.from_numpy(rng.random((3, 10, 14)))),
            (cls(size=5, fill=7, p=1.0), torch.from_numpy(rng.integers(0, 256, (1, 11, 9), dtype=np.uint8))),
        ]
        if _PILImage is not None:
            examples.append((cls(size=0.5, fill=(10, 20, 30), p=1.0), _PILImage.fromarray(u8)))
        return examples

    @classmethod
    def _harness_bad_args(cls):
        return [
            {"size": 0}, {"size": 1.5}, {"size": 0.0}, {"size": (8, 4)}, {"size": (4, 0.5)}, {"size": "big"},
            {"size": (1, 2, 3)}, {"num_holes": 0}, {"num_holes": 1.5}, {"num_holes": (3, 1)},
            {"fill": "black"}, {"fill": []}, {"fill": float("nan")}, {"p": 1.5}, {"p": -0.1},
        ]


# ---------------------------------------------------------------------------
# Albumentations
# ---------------------------------------------------------------------------
def _albumentations():
    import albumentations  # noqa: WPS433 - imported lazily: heavy, and only needed here

    return albumentations


def _to_chw_tensor(img: Any) -> torch.Tensor:
    """``HWC``/``HW`` numpy -> ``CHW`` tensor, exactly as albumentations' ``ToTensorV2`` (no scaling)."""
    if isinstance(img, torch.Tensor):  # the pipeline already ended in ToTensorV2
        return img
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3):
        raise TypeError(f"Albumentations: to_tensor needs an HWC/HW numpy image from the pipeline, got "
                        f"{type(img).__name__} with shape {getattr(img, 'shape', None)}")
    if img.ndim == 2:
        img = img[:, :, None]
    return torch.from_numpy(img.transpose(2, 0, 1))


class Albumentations(Transform):
    """Run any albumentations pipeline per sample, seeded from the sample key.

    ``sample(rng)`` draws a 32-bit sub-seed; ``apply(x, params)`` hands the
    pipeline a fresh ``numpy.random.Generator`` and ``random.Random`` built from
    it (``Compose.set_random_state``, albumentations 2.x) and runs it. The same
    key gives the same output in any worker, process or run.

    Why not ``Compose(seed=...)`` / ``set_random_seed``: in albumentations 2.0.8
    that gives *every* child transform its own generator with the *same* seed,
    so their draws are correlated (``HorizontalFlip(p=0.5)`` followed by
    ``VerticalFlip(p=0.5)`` always flips both ways or neither). A single shared
    generator keeps the children independent, as an unseeded pipeline is.

    Inputs: an ``HWC``/``HW`` numpy image or a PIL image (converted to numpy), or
    a dict of albumentations targets (``{"image": ..., "mask": ...}``) that is
    passed as keyword arguments and returned as a dict with the same keys. The
    pipeline gets a copy, so the caller's array is never touched. Tensors are
    rejected: apply albumentations before converting.

    Args:
        pipeline: an ``albumentations.Compose`` (any ``BaseCompose``), or a single
            albumentations transform (wrapped in ``Compose([t])``). A deep copy
            is kept, so the caller's pipeline object is not reseeded.
        to_tensor: convert the output image to a ``CHW`` tensor as ``ToTensorV2``
            does (no scaling, dtype kept, ``HW`` -> ``1HW``; masks via
            ``torch.from_numpy``). The conversion happens also when the
            pipeline is skipped (``p``), so batches always have one type.
        p: probability of running the pipeline (times adaptive strength).

    Thread safety: one instance runs one pipeline call at a time (a lock);
    DataLoader workers are processes and each has its own copy.

    Example:
        >>> import albumentations as A, numpy as np
        >>> t = Albumentations(A.Compose([A.HorizontalFlip(p=0.5)]), to_tensor=True)
        >>> img = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
        >>> params = t.sample(np.random.default_rng(0))
        >>> out = t.apply(img, params)
        >>> out.shape, bool((out == t.apply(img, params)).all())
        (torch.Size([3, 2, 4]), True)
    """

    def __init__(self, pipeline: Any, to_tensor: bool = False, p: float = 1.0) -> None:
        super().__init__(p=p)
        A = _albumentations()
        if isinstance(pipeline, A.core.transforms_interface.BasicTransform):
            pipeline = A.Compose([pipeline])
        if not isinstance(pipeline, A.core.composition.BaseCompose):
            raise TypeError(f"Albumentations: pipeline must be an albumentations.Compose (or one albumentations "
                            f"transform), got {pipeline!r} ({type(pipeline).__name__})")
        if not isinstance(to_tensor, bool):
            raise TypeError(f"Albumentations: to_tensor must be a bool, got {to_tensor!r}")
        self.pipeline = copy.deepcopy(pipeline)
        self.to_tensor = to_tensor
        self._lock = threading.Lock()

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _sample(self, rng: np.random.Generator, strength: float) -> Dict[str, Any]:
        return {"seed": int(rng.integers(0, 2 ** 32))}

    def _prepare(self, x: Any) -> Tuple[Dict[str, Any], str]:
        if isinstance(x, dict):
            data = {k: (v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v)) for k, v in x.items()}
            if "image" in data and _is_pil(data["image"]):
                data["image"] = np.array(data["image"])
            return data, "dict"
        if _is_pil(x):
            return {"image": np.array(x)}, "pil"
        if isinstance(x, np.ndarray):
            if x.ndim not in (2, 3):
                raise ValueError(f"Albumentations: image array must be HWC or HW, got shape {x.shape}")
            return {"image": x.copy()}, "array"
        if isinstance(x, torch.Tensor):
            raise TypeError("Albumentations: got a torch tensor; albumentations works on HWC numpy images. "
                            "Apply it before converting (to_tensor=True converts at the end)")
        raise TypeError(f"Albumentations: input must be an HWC/HW numpy array, a PIL image or a dict of "
                        f"albumentations targets, got {type(x).__name__}")

    def _finish(self, data: Dict[str, Any], kind: str, x: Any) -> Any:
        if kind == "dict":
            out = {k: data[k] for k in x}
            if self.to_tensor:
                if "image" in out:
                    out["image"] = _to_chw_tensor(out["image"])
                if "mask" in out and isinstance(out["mask"], np.ndarray):
                    out["mask"] = torch.from_numpy(out["mask"])
            return out
        img = data["image"]
        if self.to_tensor:
            return _to_chw_tensor(img)
        if kind == "pil" and isinstance(img, np.ndarray):
            return _PILImage.fromarray(img)
        return img

    def apply(self, x: Any, params: Dict[str, Any]) -> Any:
        """Run the pipeline seeded with ``params["seed"]`` (only convert when not applied)."""
        data, kind = self._prepare(x)
        if params.get("apply", True):
            seed = params["seed"]
            with self._lock:
                self.pipeline.set_random_state(np.random.default_rng(seed), random.Random(seed))
                data = self.pipeline(**data)
        elif not self.to_tensor:
            return x
        return self._finish(data, kind, x)

    @classmethod
    def _harness_examples(cls):
        A = _albumentations()
        rng = np.random.default_rng(0)
        u8 = rng.integers(0, 256, size=(16, 24, 3), dtype=np.uint8)
        pipe = A.Compose([
            A.HorizontalFlip(p=0.5),
            A.CoarseDropout(num_holes_range=(1, 2), hole_height_range=(0.2, 0.4),
                            hole_width_range=(0.2, 0.4), fill=0, p=0.7),
        ])
        gray = rng.random((10, 12), dtype=np.float32)
        return [
            (cls(pipe), u8),
            (cls(A.Compose([A.RandomBrightnessContrast(p=1.0), A.VerticalFlip(p=0.5)]), p=0.8), gray),
        ]

    @classmethod
    def _harness_bad_args(cls):
        A = _albumentations()
        return [{"pipeline": 3}, {"pipeline": [A.HorizontalFlip()]},
                {"pipeline": A.Compose([]), "to_tensor": "yes"}, {"pipeline": A.Compose([]), "p": 2.0}]
