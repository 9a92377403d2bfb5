"""[Albumentations][loaders.image.Albumentations]: any albumentations pipeline, seeded per sample key.

`sample(rng)` draws a sub-seed; `apply(x, params)` runs the pipeline with generators built
from it, so the same key gives the same output in any worker, process or run.
"""

from __future__ import annotations

import copy
import random
import threading
from typing import Any

import numpy as np
import torch

from ..layout import check_layout, image_dims, image_layout
from ..transform import Transform
from .functional import is_pil_image

try:  # Pillow is a torchvision dependency; keep the module importable without it.
    from PIL import Image as PILImage
except ImportError:  # pragma: no cover - Pillow is always installed with torchvision
    PILImage = None  # type: ignore[assignment]

__all__ = ["Albumentations"]


def _albumentations():
    import albumentations  # noqa: WPS433 - imported lazily: heavy, and only needed here

    return albumentations


def _to_chw_tensor(img: Any) -> torch.Tensor:
    """``HWC``/``HW`` numpy -> ``CHW`` tensor, exactly as albumentations' ``ToTensorV2`` (no scaling)."""
    if isinstance(img, torch.Tensor):  # the pipeline already ended in ToTensorV2
        return img
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3):
        raise TypeError(
            f"Albumentations: to_tensor needs an HWC/HW numpy image from the pipeline, got "
            f"{type(img).__name__} with shape {getattr(img, 'shape', None)}"
        )
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

    Inputs: an `HWC`/`HW` numpy image or a PIL image (converted to numpy), or
    a dict of albumentations targets (`{"image": ..., "mask": ...}`) that is
    passed as keyword arguments and returned as a dict with the same keys. The
    pipeline gets a copy, so the caller's array is never touched. Tensors are
    rejected: apply albumentations before converting.

    Layouts follow the rule of [loaders.layout][]: a 3-D array is `HWC` and an
    array that looks `CHW` (`(3, 32, 32)`) raises instead of being flipped along
    the wrong axes. Declare `layout="CHW"` to run the pipeline on `CHW` arrays:
    the image is transposed to `HWC` for albumentations and back to `CHW` after
    (the layout applies to the `"image"` target only). Images with a zero-size
    side and non-numeric (e.g. object) arrays raise `ValueError`/`TypeError`.

    Args:
        pipeline: an ``albumentations.Compose`` (any ``BaseCompose``), or a single
            albumentations transform (wrapped in ``Compose([t])``). A deep copy
            is kept, so the caller's pipeline object is not reseeded.
        to_tensor: convert the output image to a ``CHW`` tensor as ``ToTensorV2``
            does (no scaling, dtype kept, ``HW`` -> ``1HW``; masks via
            ``torch.from_numpy``). The conversion happens also when the
            pipeline is skipped (``p``), so batches always have one type.
        p: probability of running the pipeline (times adaptive strength).
        layout: `None` (3-D arrays are `HWC`, checked against the shape), `"HWC"`
            or `"CHW"` (transposed around the pipeline).

    Raises:
        TypeError: `pipeline` is not an albumentations transform, or `to_tensor` is not a bool.
        ValueError: `p` or `layout` is out of range.

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

    #: Class default, so that instances pickled before `layout` existed load with the type's default.
    layout: str | None = None

    def __init__(self, pipeline: Any, to_tensor: bool = False, p: float = 1.0, layout: str | None = None) -> None:
        super().__init__(p=p)
        A = _albumentations()
        if isinstance(pipeline, A.core.transforms_interface.BasicTransform):
            pipeline = A.Compose([pipeline])
        if not isinstance(pipeline, A.core.composition.BaseCompose):
            raise TypeError(
                f"Albumentations: pipeline must be an albumentations.Compose (or one albumentations "
                f"transform), got {pipeline!r} ({type(pipeline).__name__})"
            )
        if not isinstance(to_tensor, bool):
            raise TypeError(f"Albumentations: to_tensor must be a bool, got {to_tensor!r}")
        self.pipeline = copy.deepcopy(pipeline)
        self.to_tensor = to_tensor
        self.layout = check_layout(layout, "Albumentations")
        self._lock = threading.Lock()

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _sample(self, rng: np.random.Generator, strength: float) -> dict[str, Any]:
        return {"seed": int(rng.integers(0, 2**32))}

    def _hwc(self, img: np.ndarray, where: str) -> tuple[np.ndarray, bool]:
        """Check one image array; return it as a fresh `HWC`/`HW` array and whether it was `CHW`."""
        if img.dtype.kind not in "biuf":
            raise TypeError(
                f"Albumentations: {where} has dtype {img.dtype}; albumentations needs a numeric (uint8 or float) array"
            )
        layout = image_layout(img, self.layout, "Albumentations")
        h, w, _ = image_dims(img, layout, "Albumentations")
        if h == 0 or w == 0:
            raise ValueError(
                f"Albumentations: {where} has a zero-size side (shape {tuple(img.shape)}); albumentations "
                "cannot transform an empty image"
            )
        if layout == "CHW":
            return np.ascontiguousarray(img.transpose(1, 2, 0)), True
        return img.copy(), False

    def _prepare(self, x: Any) -> tuple[dict[str, Any], str]:
        if isinstance(x, dict):
            data = {k: (v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v)) for k, v in x.items()}
            if "image" in data and is_pil_image(data["image"]):
                data["image"] = np.array(data["image"])
            if isinstance(data.get("image"), np.ndarray):
                data["image"], chw = self._hwc(data["image"], "the 'image' target")
                return data, "dict-chw" if chw else "dict"
            return data, "dict"
        if is_pil_image(x):
            img, _ = self._hwc(np.array(x), "the PIL image")
            return {"image": img}, "pil"
        if isinstance(x, np.ndarray):
            img, chw = self._hwc(x, "the image")
            return {"image": img}, "array-chw" if chw else "array"
        if isinstance(x, torch.Tensor):
            raise TypeError(
                "Albumentations: got a torch tensor; albumentations works on HWC numpy images. "
                "Apply it before converting (to_tensor=True converts at the end)"
            )
        raise TypeError(
            f"Albumentations: input must be an HWC/HW numpy array, a PIL image or a dict of "
            f"albumentations targets, got {type(x).__name__}"
        )

    def _finish(self, data: dict[str, Any], kind: str, x: Any) -> Any:
        chw = kind.endswith("-chw")
        img = data.get("image")
        if isinstance(img, np.ndarray) and chw and not self.to_tensor and img.ndim == 3:
            data["image"] = img = np.ascontiguousarray(img.transpose(2, 0, 1))
        if kind.startswith("dict"):
            out = {k: data[k] for k in x}
            if self.to_tensor:
                if "image" in out:
                    out["image"] = _to_chw_tensor(out["image"])
                if "mask" in out and isinstance(out["mask"], np.ndarray):
                    out["mask"] = torch.from_numpy(out["mask"])
            return out
        if self.to_tensor:
            return _to_chw_tensor(img)
        if kind == "pil" and isinstance(img, np.ndarray):
            return PILImage.fromarray(img)
        return img

    def apply(self, x: Any, params: dict[str, Any]) -> Any:
        """Run the pipeline seeded with ``params["seed"]`` (only convert when not applied)."""
        data, kind = self._prepare(x)
        if params.get("apply", True):
            seed = params["seed"]
            with self._lock:
                self.pipeline.set_random_state(np.random.default_rng(seed), random.Random(seed))
                data = self.pipeline(**data)
            if "image" in data and data["image"] is None:
                raise ValueError("Albumentations: the pipeline returned no image (None)")
        elif not self.to_tensor:
            return x
        return self._finish(data, kind, x)
