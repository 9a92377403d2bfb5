"""Compatibility path for [loaders.audio.functional][], where the pure audio operations live.

Every public name of `loaders.audio.functional` is re-exported here, so
`from loaders.audio_functional import pitch_shift` keeps working.

Example:
    >>> from loaders import audio_functional
    >>> from loaders.audio import functional
    >>> audio_functional.pitch_shift is functional.pitch_shift
    True
"""

from __future__ import annotations

from .audio.functional import (
    NOISE_COLORS,
    add_noise,
    as_waveform,
    check_spectrogram,
    colored_noise,
    gain,
    istft_frames,
    mask_along,
    phase_vocoder,
    pitch_shift,
    rational_approx,
    resample,
    restore_type,
    signal_power,
    speed_change,
    stft_frames,
    tile_segment,
    time_shift,
    time_stretch,
)

__all__ = [
    "NOISE_COLORS",
    "as_waveform",
    "check_spectrogram",
    "restore_type",
    "signal_power",
    "colored_noise",
    "tile_segment",
    "add_noise",
    "gain",
    "time_shift",
    "rational_approx",
    "resample",
    "speed_change",
    "stft_frames",
    "istft_frames",
    "phase_vocoder",
    "time_stretch",
    "pitch_shift",
    "mask_along",
]
