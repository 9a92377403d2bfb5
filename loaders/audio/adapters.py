"""Keyed adapters for other audio libraries: TorchAudio and Audiomentations.

[TorchAudio][loaders.audio.TorchAudio] and [Audiomentations][loaders.audio.Audiomentations]
are [Seeded][loaders.Seeded] transforms: `sample(rng)` draws a seed from the sample
key, `apply` runs the wrapped transform with only its library's global generators seeded
from it and restores them afterwards. torchaudio and audiomentations are imported only
when an adapter is constructed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..seeded import Seeded
from ..validation import check_int

__all__ = ["TorchAudio", "Audiomentations"]

#: torchaudio transforms draw from torch's default CPU generator only.
TORCHAUDIO_RNGS = ("torch",)
#: audiomentations draws from Python's `random` and numpy's legacy global generator.
AUDIOMENTATIONS_RNGS = ("random", "numpy")


class TorchAudio(Seeded):
    """Run a torchaudio transform (any `torch.nn.Module`) per sample, seeded from the sample key.

    torchaudio's random transforms (`FrequencyMasking`, `TimeMasking`,
    `SpeedPerturbation`, ...) draw from torch's default CPU generator; this adapter seeds
    only that generator from the key and restores it afterwards, so the same sample,
    epoch and seed give the same output with any `num_workers`, start method or process.

    Input: a waveform `(time,)`/`(channels, time)` or a spectrogram `(..., freq, time)`,
    as the wrapped transform expects, as a `torch.Tensor` or a `numpy.ndarray` (viewed
    as a tensor for the call, and the result given back as numpy).

    Transforms that return extra values give back the first one, the audio: for example
    `SpeedPerturbation` returns `(waveform, lengths)` and the adapter returns the
    waveform (whose length changes with the drawn speed).

    `p` (scaled by the adaptive strength) decides whether the transform runs at all; the
    wrapped transform's own probabilities (`FrequencyMasking(..., p=...)`) act on top.
    Params: `{"apply": bool, "seed": int}`.

    Args:
        transform: a `torch.nn.Module` that draws only from torch's default generator:
            a torchaudio transform or a `torch.nn.Sequential` of them.
        p: probability of running the transform (times the adaptive strength).

    Raises:
        TypeError: `transform` is not a `torch.nn.Module`.
        ValueError: `p` is outside [0, 1].

    Example:
        >>> import numpy as np, torch, torchaudio
        >>> t = TorchAudio(torchaudio.transforms.FrequencyMasking(freq_mask_param=4))
        >>> spec = torch.ones(1, 16, 10)
        >>> params = t.sample(np.random.default_rng(0))
        >>> out = t.apply(spec, params)
        >>> out.shape, bool((out == t.apply(spec, params)).all()), float(spec.min())
        (torch.Size([1, 16, 10]), True, 1.0)
    """

    def __init__(self, transform: Any, *, p: float = 1.0) -> None:
        if not isinstance(transform, torch.nn.Module):
            raise TypeError(
                f"{type(self).__name__}: transform must be a torchaudio transform (a torch.nn.Module), got "
                f"{transform!r} ({type(transform).__name__}); wrap other random callables in "
                "loaders.Seeded(fn, rngs=...)"
            )
        super().__init__(transform, rngs=TORCHAUDIO_RNGS, p=p)
        self.transform = transform

    def _run(self, x: Any) -> Any:
        was_numpy = isinstance(x, np.ndarray)
        if was_numpy:
            # torch views numpy memory only when it is writeable and native-endian; copy otherwise
            if not x.flags.writeable or not x.dtype.isnative:
                x = np.array(x, dtype=x.dtype.newbyteorder("="))
            x = torch.from_numpy(x)
        elif not isinstance(x, torch.Tensor):
            raise TypeError(
                f"{type(self).__name__}: audio must be a torch.Tensor or numpy.ndarray, got {type(x).__name__}"
            )
        out = self.transform(x)
        if isinstance(out, (tuple, list)):  # e.g. SpeedPerturbation: (waveform, lengths)
            out = out[0]
        return out.numpy() if was_numpy and isinstance(out, torch.Tensor) else out


def _audiomentations_bases() -> tuple[Any, ...]:
    from audiomentations.core.composition import BaseCompose  # heavy: imported only when an adapter is built
    from audiomentations.core.transforms_interface import BaseTransform

    return BaseTransform, BaseCompose


class Audiomentations(Seeded):
    """Run an audiomentations transform or `Compose` per sample, seeded from the sample key.

    audiomentations draws from Python's `random` and numpy's legacy global generator;
    this adapter seeds those two from the key and restores them afterwards, so the same
    sample, epoch and seed give the same output with any `num_workers`, start method or
    process.

    Input: a float waveform `(time,)` or `(channels, time)` (channels first, as
    audiomentations expects) as a `numpy.ndarray` or a CPU `torch.Tensor`. The wrapped
    transform gets a float32 numpy copy (audiomentations works in float32), so the
    caller's array is never touched; the result comes back as the input's type and
    dtype (float64 in, float64 out).

    Transforms whose parameters were frozen with audiomentations'
    `freeze_parameters()` keep them, as in audiomentations; everything else is drawn
    anew from the key on every call.

    `p` (scaled by the adaptive strength) decides whether the transform runs at all; the
    wrapped transform's own probabilities (`Compose(..., p=...)`, each transform's `p`)
    act on top. Params: `{"apply": bool, "seed": int}`.

    Args:
        transform: an audiomentations transform or composition (`Compose`, `OneOf`,
            `SomeOf`).
        sample_rate: the sample rate in Hz handed to the transform.
        p: probability of running the transform (times the adaptive strength).

    Raises:
        TypeError: `transform` is not an audiomentations transform, or `sample_rate`
            is not an int.
        ValueError: `sample_rate` < 1, or `p` is outside [0, 1].

    Example:
        >>> import numpy as np
        >>> from audiomentations import Compose, Gain
        >>> t = Audiomentations(Compose([Gain(min_gain_db=-6, max_gain_db=6, p=1.0)]), sample_rate=16000)
        >>> wave = np.full(8, 0.5, dtype=np.float32)
        >>> params = t.sample(np.random.default_rng(0))
        >>> out = t.apply(wave, params)
        >>> out.dtype, bool((out == t.apply(wave, params)).all()), float(wave[0])
        (dtype('float32'), True, 0.5)
    """

    def __init__(self, transform: Any, *, sample_rate: int, p: float = 1.0) -> None:
        owner = type(self).__name__
        if not isinstance(transform, _audiomentations_bases()):
            raise TypeError(
                f"{owner}: transform must be an audiomentations transform or Compose/OneOf/SomeOf, got "
                f"{transform!r} ({type(transform).__name__}); wrap other random callables in "
                "loaders.Seeded(fn, rngs=...)"
            )
        super().__init__(transform, rngs=AUDIOMENTATIONS_RNGS, p=p)
        self.transform = transform
        self.sample_rate = check_int("sample_rate", sample_rate, low=1, owner=owner)

    def _run(self, x: Any) -> Any:
        owner = type(self).__name__
        if isinstance(x, torch.Tensor):
            if x.device.type != "cpu" or x.requires_grad:
                raise ValueError(f"{owner}: audio tensors must be on the CPU without grad, got {x.device}")
            samples = x.numpy()
        elif isinstance(x, np.ndarray):
            samples = x
        else:
            raise TypeError(
                f"{owner}: audio must be a numpy.ndarray or torch.Tensor (time,) or (channels, time), "
                f"got {type(x).__name__}"
            )
        if samples.dtype.kind != "f":
            raise TypeError(
                f"{owner}: audio must be float (audiomentations works in float32 in [-1, 1]), got dtype "
                f"{samples.dtype}; convert integer PCM first, e.g. x.astype(np.float32) / 32768 for int16"
            )
        if samples.ndim not in (1, 2):
            raise ValueError(f"{owner}: audio must have shape (time,) or (channels, time), got {samples.shape}")
        out = self.transform(samples=np.array(samples, dtype=np.float32), sample_rate=self.sample_rate)
        out = np.asarray(out, dtype=samples.dtype)
        return torch.from_numpy(out) if isinstance(x, torch.Tensor) else out
