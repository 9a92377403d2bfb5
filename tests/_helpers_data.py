"""Importable datasets and transforms for the dataset tests (spawn workers must import them)."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset, get_worker_info

from loaders import Transform


class RangeDataset(Dataset):
    """Sample ``i`` is ``(torch.full((dim,), float(i)), i)``."""

    def __init__(self, n: int = 12, dim: int = 4) -> None:
        self.n, self.dim = n, dim

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return torch.full((self.dim,), float(i)), i


class WorkerTagDataset(RangeDataset):
    """Like RangeDataset, plus the id of the worker that loaded the sample (-1 in the main process)."""

    def __getitem__(self, i):
        info = get_worker_info()
        return torch.full((self.dim,), float(i)), i, -1 if info is None else info.id


class SharedArrayDataset(Dataset):
    """Images held in ONE in-memory uint8 array (torch shared memory, so a worker's writes would show)."""

    def __init__(self, n: int = 8, size: int = 8) -> None:
        g = torch.Generator().manual_seed(0)
        self.images = torch.randint(0, 256, (n, size, size, 3), dtype=torch.uint8, generator=g)
        self.images.share_memory_()
        self.labels = list(range(n))

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i].numpy(), self.labels[i]  # a view into the shared array


class AddNoise(Transform):
    """Adds Gaussian noise from a per-sample sub-seed; output is a new tensor/array."""

    strength_mode = "magnitude"

    def __init__(self, sigma: float = 1.0, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.sigma = float(sigma)

    def _sample(self, rng, strength):
        return {"sub_seed": int(rng.integers(2**63)), "scale": self.sigma * strength}

    def _apply(self, x, params):
        noise = np.random.default_rng(params["sub_seed"]).standard_normal(tuple(x.shape)) * params["scale"]
        if isinstance(x, torch.Tensor):
            return x + torch.as_tensor(noise, dtype=x.dtype)
        return (x + noise).astype(x.dtype)

    @classmethod
    def _harness_examples(cls):
        return [(cls(), torch.zeros(3))]

    @classmethod
    def _harness_bad_args(cls):
        return [{"p": 2.0}]


class HoleFill(Transform):
    """A minimal Cutout for HWC arrays: copies, then zeroes one random square."""

    def __init__(self, size: int = 3, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.size = size

    def _sample(self, rng, strength):
        return {"y": int(rng.integers(0, 8)), "x": int(rng.integers(0, 8))}

    def _apply(self, x, params):
        out = x.copy()
        out[params["y"] : params["y"] + self.size, params["x"] : params["x"] + self.size] = 0
        return out


class MutatingFill(HoleFill):
    """Negative control: zeroes the square IN PLACE (mutates the user's array)."""

    def _apply(self, x, params):
        x[params["y"] : params["y"] + self.size, params["x"] : params["x"] + self.size] = 0
        return x


class FailOn(Transform):
    """Raises ZeroDivisionError when the first element of the input equals ``marker``."""

    def __init__(self, marker: float = 5.0) -> None:
        super().__init__(p=1.0)
        self.marker = marker

    def _apply(self, x, params):
        if float(x.reshape(-1)[0]) == self.marker:
            raise ZeroDivisionError(f"boom at {self.marker}")
        return x


class ReturnsNone(Transform):
    def _apply(self, x, params):
        return None


class ToList(Transform):
    def _apply(self, x, params):
        return x.tolist()


class RaisesAugmentationError(Transform):
    """A transform that reports bad data itself (it does not know the sample index)."""

    def _apply(self, x, params):
        from loaders import AugmentationError

        raise AugmentationError("NaN in the input")
