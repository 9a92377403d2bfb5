"""Audio transforms for waveforms and spectrograms, keyed and replayable.

Waveform transforms ([AddNoise][loaders.audio.AddNoise], [TimeShift][loaders.audio.TimeShift],
[SpeedChange][loaders.audio.SpeedChange], [PitchShift][loaders.audio.PitchShift],
[Gain][loaders.audio.Gain]) take float `(time,)` or `(channels, time)` waveforms; spectrogram
transforms ([TimeMask][loaders.audio.TimeMask], [FrequencyMask][loaders.audio.FrequencyMask])
take `(..., freq, time)`. The pure operations live in [loaders.audio.functional][].

Modules:

* `functional`: the pure operations (resampling, phase vocoder, noise, masks);
* `transforms`: the transform classes.

Example:
    >>> import torch
    >>> from loaders.audio import Gain
    >>> Gain(db=(20, 20))(torch.tensor([0.01, -0.02]), rng=0)
    tensor([ 0.1000, -0.2000])
"""

from __future__ import annotations

from .adapters import Audiomentations, TorchAudio
from .transforms import AddNoise, ClipBank, FrequencyMask, Gain, PitchShift, SpeedChange, TimeMask, TimeShift

# The name under which AddNoise pickled its noise bank when loaders.audio was one module: old pickles load.
_ClipBank = ClipBank

__all__ = [
    "AddNoise",
    "TimeShift",
    "SpeedChange",
    "PitchShift",
    "Gain",
    "TimeMask",
    "FrequencyMask",
    "TorchAudio",
    "Audiomentations",
]
