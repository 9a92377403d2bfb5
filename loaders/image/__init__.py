"""Image transforms: [Cutout][loaders.image.Cutout] and [Albumentations][loaders.image.Albumentations].

Both follow *sample, then apply*: `sample(rng)` draws plain data (hole centres and
sizes; a sub-seed for albumentations), `apply(x, params)` is deterministic and never
mutates `x`. The pure operations live in [loaders.image.functional][].

Modules:

* `functional`: [image_size][loaders.image.functional.image_size],
  [hole_boxes][loaders.image.functional.hole_boxes], [cutout][loaders.image.functional.cutout];
* `transforms`: [Cutout][loaders.image.Cutout];
* `albumentations`: [Albumentations][loaders.image.Albumentations] (imports albumentations
  only when constructed).

Example:
    >>> import numpy as np
    >>> from loaders.image import Cutout
    >>> img = np.full((4, 4, 3), 9, np.uint8)
    >>> out = Cutout(size=2, fill=0, p=1.0)(img, rng=0)   # one 2x2 hole, clipped at the border
    >>> out.shape, out.dtype, int(img.min())                # same shape and dtype, input untouched
    ((4, 4, 3), dtype('uint8'), 9)
"""

from __future__ import annotations

from .albumentations import Albumentations
from .functional import cutout, hole_boxes, image_size
from .torchvision import TorchVision
from .transforms import Cutout

__all__ = ["Cutout", "Albumentations", "TorchVision", "cutout", "hole_boxes", "image_size"]
