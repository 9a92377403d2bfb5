"""[TorchVision][loaders.image.TorchVision]: any torchvision v2 transform, keyed by the sample.

torchvision imports lazily (when an adapter is constructed), so `import loaders.image`
stays light.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..seeded import Seeded
from ..structure import check_key, describe_fields, get_field, replace_fields

__all__ = ["TorchVision"]

#: The generators torchvision v2 transforms draw from: torch's default CPU generator only.
TORCHVISION_RNGS = ("torch",)


def _v2() -> Any:
    from torchvision.transforms import v2  # heavy: imported only when an adapter is built

    return v2


def _check_keys(keys: Any, owner: str) -> tuple[Any, ...] | None:
    if keys is None:
        return None
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Sequence):
        raise TypeError(
            f"{owner}: keys must be None or a tuple of int positions / str keys naming the fields that go "
            f"through the transform together, got {keys!r}"
            + (f"; write keys=({keys!r},)" if isinstance(keys, str) else "")
        )
    out = tuple(check_key(f"keys[{i}]", k, owner=owner) for i, k in enumerate(keys))
    if not out:
        raise ValueError(f"{owner}: keys must name at least one field, got {keys!r}")
    if None in out:
        raise ValueError(
            f"{owner}: keys holds None; give positions or keys of fields (or keys=None for the whole input)"
        )
    if len(set(out)) != len(out):
        raise ValueError(f"{owner}: keys names a field twice: {keys!r}")
    return out


class TorchVision(Seeded):
    """Run a torchvision v2 transform (or `v2.Compose`) per sample, seeded from the sample key.

    torchvision v2 transforms draw from torch's default CPU generator; this adapter seeds
    only that generator from the key (under the process-wide lock of
    [Seeded][loaders.Seeded]) and restores it afterwards, so the same sample, epoch and
    seed give the same augmentation with any `num_workers`, start method or process.
    Inputs are whatever v2 accepts: `CHW` tensors (uint8 stays uint8), PIL images and
    `tv_tensors` (`Image`, `Video`, `BoundingBoxes`, `Mask`, `KeyPoints`), alone or in a
    tuple, list or dict.

    Joint samples (an image with its boxes and mask): everything handed to v2 in one
    call is transformed with one draw, as v2 does, so the geometry stays consistent.
    Choose what goes in:

    * `keys=None` (default): the whole input goes to v2. With an
      [AugmentedDataset][loaders.AugmentedDataset], `input_key=None` hands over the whole
      sample, e.g. `(image, boxes, mask, label)` or `{"image": ..., "boxes": ...,
      "label": ...}`; v2 transforms the image, `BoundingBoxes` and `Mask` entries and
      passes plain values (labels, strings) through. v2 treats a *plain* tensor as the
      image only when no `tv_tensors.Image` is present, so wrap masks as
      `tv_tensors.Mask` and boxes as `tv_tensors.BoundingBoxes`.
    * `keys=("image", "boxes", "mask")` (positions for tuple samples): the input must be
      a tuple, list or dict; only these fields go to v2, together, in one call, and are
      put back into a new sample of the same kind; the other fields are never seen by
      v2 (useful when a sample holds tensors v2 must not touch).

    `RandAugment`, `TrivialAugmentWide`, `AutoAugment` and `AugMix` transform images only:
    torchvision refuses `BoundingBoxes` and `Mask` inputs to them, and the adapter passes
    that `TypeError` on with the transform named (it never transforms the image alone
    behind your back). Run them in their own adapter on the image field.

    `p` (scaled by the adaptive strength) decides whether the transform runs at all; the
    wrapped transform's own probabilities (`RandomHorizontalFlip(p=0.5)`) act on top.
    Params: `{"apply": bool, "seed": int}`.

    Args:
        transform: a `torchvision.transforms.v2.Transform` (including `v2.Compose`,
            `v2.RandomChoice`, ...). v1 transforms (`torchvision.transforms.*` outside
            `v2`) are refused: `v2` is their drop-in replacement.
        keys: `None`, or the positions / keys of the fields to transform jointly.
        p: probability of running the transform (times the adaptive strength).

    Raises:
        TypeError: `transform` is not a v2 transform, or `keys` is not a tuple of
            positions/keys.
        ValueError: `keys` is empty or repeats a field, or `p` is outside [0, 1].

    Example:
        >>> import numpy as np, torch
        >>> from torchvision.transforms import v2
        >>> t = TorchVision(v2.Compose([v2.RandomHorizontalFlip(p=0.5), v2.RandomCrop(4)]))
        >>> img = torch.arange(3 * 6 * 6, dtype=torch.uint8).reshape(3, 6, 6)
        >>> params = t.sample(np.random.default_rng(0))
        >>> out = t.apply(img, params)
        >>> out.shape, out.dtype, bool((out == t.apply(img, params)).all())
        (torch.Size([3, 4, 4]), torch.uint8, True)
    """

    def __init__(self, transform: Any, *, keys: Sequence[Any] | None = None, p: float = 1.0) -> None:
        owner = type(self).__name__
        v2 = _v2()
        if not isinstance(transform, v2.Transform):
            hint = ""
            if type(transform).__module__.startswith("torchvision.transforms"):
                hint = "; torchvision.transforms.v2 has a drop-in replacement for every v1 transform"
            elif callable(transform):
                hint = "; wrap other random callables in loaders.Seeded(fn, rngs=...)"
            raise TypeError(
                f"{owner}: transform must be a torchvision.transforms.v2 transform (or v2.Compose), got "
                f"{transform!r} ({type(transform).__name__}){hint}"
            )
        super().__init__(transform, rngs=TORCHVISION_RNGS, p=p)
        self.transform = transform
        self.keys = _check_keys(keys, owner)

    def _call(self, inputs: Any) -> Any:
        try:
            return self.transform(inputs)
        except TypeError as e:
            if "are not supported by" in str(e):  # v2's refusal of boxes/masks in the auto-augment policies
                raise TypeError(
                    f"{type(self).__name__}: {e} (in {self.transform!r}); this transform works on images only: "
                    "run it in its own TorchVision on the image field (keys=(<image key>,))"
                ) from e
            raise

    def _run(self, x: Any) -> Any:
        if self.keys is None:
            return self._call(x)
        if not isinstance(x, (tuple, list, Mapping)):
            raise TypeError(
                f"{type(self).__name__}: keys={self.keys!r} needs a tuple, list or dict input, got "
                f"{describe_fields(x)}; use keys=None to transform a bare input"
            )
        try:
            fields = tuple(get_field(x, k) for k in self.keys)
        except (KeyError, IndexError, TypeError):
            raise KeyError(
                f"{type(self).__name__}: keys={self.keys!r} but the input has {describe_fields(x)}"
            ) from None
        out = self._call(fields)
        return replace_fields(x, dict(zip(self.keys, out, strict=True)))
