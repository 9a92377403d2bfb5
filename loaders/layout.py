"""The one layout rule for images and audio, shared by the transforms and the collates.

**Images.** One sample is 2-D (`HW`, one channel) or 3-D. The layout of a 3-D image is

* declared by the caller with `layout="CHW"` or `layout="HWC"` (an argument of the
  transform or collate), or
* declared by its type: a `torchvision.tv_tensors.Image` (or `Video` frame, `Mask`) is
  `CHW`, a PIL image is `HWC`; otherwise
* the default of its container: a `torch.Tensor` is `CHW`, a `numpy.ndarray` is `HWC`
  (what albumentations, OpenCV and PIL return).

A default is checked against the shape and refused when the shape contradicts it: a
tensor shaped `(H, W, C)` with `C` in {1, 3, 4}, `H, W > 4` and a first axis that is not
a channel count, or an array shaped `(C, H, W)` the other way round. The error says which
`layout=` to pass or how to transpose. Declared layouts are never second-guessed.

**Audio.** A waveform is `(time,)` or `(channels, time)`. A 2-D waveform with more
channels than samples is refused (it is almost surely `(time, channels)`, as soundfile
returns it: transpose it). Spectrograms are `(..., freq, time)` and have no rule.

Example:
    >>> import numpy as np, torch
    >>> image_layout(torch.zeros(3, 32, 32)), image_layout(np.zeros((32, 32, 3)))
    ('CHW', 'HWC')
    >>> image_layout(np.zeros((3, 32, 32)), "CHW")     # declared: trusted
    'CHW'
    >>> image_layout(torch.zeros(32, 32, 3))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: image: a tensor of shape (32, 32, 3) looks like HWC ... pass layout='HWC', or permute(2, 0, 1) it to CHW
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import torch

__all__ = [
    "IMAGE_LAYOUTS",
    "CHANNEL_COUNTS",
    "check_layout",
    "image_layout",
    "image_dims",
    "spatial_axes",
    "check_waveform_shape",
]

#: The layouts a 3-D image can have (a 2-D image is always `HW`).
IMAGE_LAYOUTS = ("CHW", "HWC")
#: Channel counts that make an axis look like a channel axis (gray, RGB, RGBA).
CHANNEL_COUNTS = frozenset({1, 3, 4})
#: Sides above this are taken as spatial when a default layout is checked.
_MIN_SIDE = 4


def check_layout(layout: Any, owner: str) -> str | None:
    """Validate a `layout=` argument: `None` (inferred from the input) or one of `IMAGE_LAYOUTS`.

    Args:
        layout: the argument.
        owner: the class or function, for the message.

    Returns:
        `layout` itself.

    Raises:
        ValueError: any other value (the message lists the allowed ones).

    Example:
        >>> check_layout("HWC", "Cutout") is None, check_layout(None, "Cutout")
        (False, None)
    """
    if layout is None or (isinstance(layout, str) and layout in IMAGE_LAYOUTS):
        return layout
    raise ValueError(
        f"{owner}: layout must be None (CHW for tensors, HWC for arrays and PIL images) or one of "
        f"{list(IMAGE_LAYOUTS)}, got {layout!r}"
    )


def _declared_by_type(x: Any) -> str | None:
    """`"CHW"` for torchvision tv_tensors images, videos and masks; `"HWC"` for PIL images; else None."""
    tv = sys.modules.get("torchvision.tv_tensors")  # never import torchvision just to ask
    if tv is not None and isinstance(x, (tv.Image, tv.Video, tv.Mask)):
        return "CHW"
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(x, pil.Image):
        return "HWC"
    return None


def image_layout(x: Any, layout: str | None = None, owner: str = "image") -> str:
    """The layout of one image: `"HW"`, `"CHW"` or `"HWC"` (see the module rule).

    Args:
        x: a tensor, numpy array, tv_tensor or PIL image holding one image.
        layout: the declared layout of 3-D images, or `None` to take it from the type.
        owner: the class or function, for the message.

    Returns:
        The layout.

    Raises:
        TypeError: `x` is not an image type.
        ValueError: `x` is not 2-D or 3-D, the declared layout contradicts the type
            (an HWC layout for a tv_tensors image), or the default layout contradicts the shape.

    Example:
        >>> image_layout(np.zeros((8, 8))), image_layout(torch.zeros(1, 8, 8))
        ('HW', 'CHW')
    """
    tx = type(x)
    if tx is np.ndarray:  # the common cases first: no type declares their layout
        by_type, tensor = None, False
    elif tx is torch.Tensor:
        by_type, tensor = None, True
    else:
        by_type = _declared_by_type(x)
        if by_type == "HWC":  # PIL
            if layout is not None and layout != "HWC":
                raise ValueError(f"{owner}: layout={layout!r} contradicts the input type {tx.__name__}, which is HWC")
            return "HWC"
        if not isinstance(x, (torch.Tensor, np.ndarray)):
            raise TypeError(
                f"{owner}: image must be a torch tensor (CHW/HW), a numpy array (HWC/HW) or a PIL image, "
                f"got {tx.__name__}"
            )
        tensor = isinstance(x, torch.Tensor)
    shape = x.shape
    ndim = len(shape)
    if ndim == 2:
        return "HW"
    if ndim != 3:
        kind = "tensor" if tensor else "array"
        raise ValueError(
            f"{owner}: an image {kind} must be 2-D (HW) or 3-D (CHW/HWC), one sample, not a batch; "
            f"got shape {tuple(shape)}"
        )
    if by_type is not None:
        if layout is not None and layout != by_type:
            raise ValueError(f"{owner}: layout={layout!r} contradicts the input type {tx.__name__}, which is {by_type}")
        return by_type
    if layout is not None:
        return layout
    a, b, c = shape
    if tensor:
        if c in CHANNEL_COUNTS and a not in CHANNEL_COUNTS and a > _MIN_SIDE and b > _MIN_SIDE:
            raise ValueError(
                f"{owner}: a tensor of shape {tuple(shape)} looks like HWC (height, width, channels), but tensors "
                f"are read as CHW; pass layout='HWC', or permute(2, 0, 1) it to CHW"
            )
        return "CHW"
    if a in CHANNEL_COUNTS and c not in CHANNEL_COUNTS and b > _MIN_SIDE and c > _MIN_SIDE:
        raise ValueError(
            f"{owner}: an array of shape {tuple(shape)} looks like CHW (channels, height, width), but numpy arrays "
            f"are read as HWC; pass layout='CHW', or transpose(1, 2, 0) it to HWC"
        )
    return "HWC"


def spatial_axes(layout: str) -> tuple[int, int, int | None]:
    """`(height_axis, width_axis, channel_axis)` of one image in `layout` (`None`: no channel axis).

    Add 1 to each for a batch with a leading batch axis.

    Args:
        layout: `"CHW"`, `"HWC"` or `"HW"`.

    Returns:
        `(height_axis, width_axis, channel_axis)`.

    Raises:
        ValueError: any other layout.

    Example:
        >>> spatial_axes("CHW"), spatial_axes("HWC"), spatial_axes("HW")
        ((1, 2, 0), (0, 1, 2), (0, 1, None))
    """
    if layout == "CHW":
        return 1, 2, 0
    if layout == "HWC":
        return 0, 1, 2
    if layout == "HW":
        return 0, 1, None
    raise ValueError(f"spatial_axes: layout must be 'CHW', 'HWC' or 'HW', got {layout!r}")


def image_dims(x: Any, layout: str | None = None, owner: str = "image") -> tuple[int, int, int]:
    """`(height, width, channels)` of one image, read with [image_layout][loaders.layout.image_layout].

    Raises:
        TypeError: `x` is not an image type.
        ValueError: as [image_layout][loaders.layout.image_layout].

    Args:
        x: one image (tensor, numpy array, tv_tensor or PIL image).
        layout: the declared layout of a 3-D image, or `None`.
        owner: the class or function, for messages.

    Returns:
        `(height, width, channels)`; 2-D images have one channel.

    Example:
        >>> image_dims(torch.zeros(3, 5, 7)), image_dims(np.zeros((5, 7))), image_dims(np.zeros((5, 7, 3)))
        ((5, 7, 3), (5, 7, 1), (5, 7, 3))
    """
    lay = image_layout(x, layout, owner)
    shape = getattr(x, "shape", None)
    if shape is None:  # PIL
        return int(x.size[1]), int(x.size[0]), len(x.getbands())
    if lay == "HW":
        return int(shape[0]), int(shape[1]), 1
    a, b, c = shape
    return (int(b), int(c), int(a)) if lay == "CHW" else (int(a), int(b), int(c))


def check_waveform_shape(shape: tuple[int, ...], owner: str = "audio", name: str = "waveform") -> None:
    """Refuse a 2-D waveform with more channels than samples (it is `(time, channels)`).

    Args:
        shape: the waveform's shape, `(time,)` or `(channels, time)`.
        owner: the class or function, for the message.
        name: what the waveform is called, for the message.

    Raises:
        ValueError: `shape` is 2-D with `shape[0] > shape[1]`.

    Example:
        >>> check_waveform_shape((2, 16000))
        >>> check_waveform_shape((16000, 2))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: audio: waveform has shape (16000, 2): more channels than samples. Is it (time, channels)? ...
    """
    if len(shape) == 2 and shape[0] > shape[1]:
        raise ValueError(
            f"{owner}: {name} has shape {tuple(shape)}: more channels than samples. Is it (time, channels)? "
            f"Transpose it to (channels, time), e.g. x.T"
        )
