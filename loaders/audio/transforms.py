"""Audio transforms for waveforms and spectrograms, keyed and replayable.

Waveform transforms (``AddNoise``, ``TimeShift``, ``SpeedChange``,
``PitchShift``, ``Gain``) take float32/float64 ``torch.Tensor`` or
``numpy.ndarray`` of shape ``(time,)`` or ``(channels, time)`` and return the
same type and dtype on the same device. Spectrogram transforms (``TimeMask``,
``FrequencyMask``) take ``(..., freq, time)``. Each class validates its
arguments, draws plain parameters in ``sample`` and calls the pure functions of
[loaders.audio.functional][] in ``apply``.

Input policy (all raise, none guesses): integer PCM (e.g. int16) raises
``TypeError`` telling how to convert (``x.float() / 32768``); NaN/inf samples,
empty clips, 3-D waveforms and clips shorter than the FFT size raise
``ValueError`` naming the transform.

Example:
    >>> import torch
    >>> from loaders import Compose
    >>> aug = Compose([Gain(db=(-6, 6)), AddNoise(snr_db=(10, 30), color="pink"),
    ...                TimeShift(max_shift=0.1), PitchShift(semitones=(-2, 2), p=0.5)])
    >>> wave = torch.sin(torch.linspace(0, 2000, 16000)).unsqueeze(0)   # (1, 16000)
    >>> out = aug(wave, rng=0)
    >>> out.shape == wave.shape and out.dtype == wave.dtype
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..transform import Transform
from ..validation import check_choice, check_int, check_number, check_range_pair
from . import functional as AF

__all__ = ["AddNoise", "TimeShift", "SpeedChange", "PitchShift", "Gain", "TimeMask", "FrequencyMask", "ClipBank"]

#: Semitone range PitchShift supports (one octave each way: beyond it the phase
#: vocoder smears transients badly and the resampler drops most of the band).
MAX_SEMITONES = 12.0
#: Speed factors SpeedChange supports.
SPEED_RANGE = (0.25, 4.0)


def _check_sample_rate(value: Any, owner: str) -> int | None:
    if value is None:
        return None
    return check_int("sample_rate", value, low=1, owner=owner)


class _AudioTransform(Transform):
    """Shared plumbing: ``sample_rate`` and waveform validation."""

    def __init__(self, p: float, sample_rate: int | None) -> None:
        super().__init__(p=p)
        self.sample_rate = _check_sample_rate(sample_rate, type(self).__name__)

    def _wave(self, x, min_length: int = 1):
        return AF.as_waveform(x, owner=type(self).__name__, min_length=min_length)


class ClipBank:
    """Validated background clips for [AddNoise][loaders.audio.AddNoise] (float64 CPU copies).

    Args:
        clips: a non-empty list of waveforms, `(time,)` or `(channels, time)`, not silent.
            Another `ClipBank` is accepted as is.
        owner: the transform, for messages.

    Raises:
        TypeError: `clips` is not a non-empty list of tensors or arrays.
        ValueError: a clip is not a valid waveform, or is silent.

    Example:
        >>> import torch
        >>> bank = ClipBank([torch.ones(100), torch.ones(2, 50)], "AddNoise")
        >>> len(bank), bank
        (2, <2 clips: (100,), (2, 50)>)
    """

    def __init__(self, clips: Sequence[Any], owner: str = "AddNoise") -> None:
        if isinstance(clips, ClipBank):
            clips = clips.clips
        if isinstance(clips, (torch.Tensor, np.ndarray)) or not isinstance(clips, Sequence) or len(clips) == 0:
            raise TypeError(
                f"{owner}: noise_bank must be a non-empty list of waveforms (tensors or arrays), "
                f"got {type(clips).__name__}"
            )
        out = []
        for i, c in enumerate(clips):
            t, _ = AF.as_waveform(c, owner=owner, name=f"noise_bank[{i}]")
            t = t.detach().to(device="cpu", dtype=torch.float64).clone()
            if float(t.pow(2).mean()) == 0.0:
                raise ValueError(f"{owner}: noise_bank[{i}] is silent (all zeros); it cannot set any SNR")
            out.append(t)
        self.clips: list[torch.Tensor] = out

    def __len__(self) -> int:
        return len(self.clips)

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(c.shape)) for c in self.clips[:4])
        more = ", ..." if len(self.clips) > 4 else ""
        return f"<{len(self.clips)} clips: {shapes}{more}>"


class AddNoise(_AudioTransform):
    """Add noise at a signal-to-noise ratio drawn uniformly from ``snr_db`` per sample.

    SNR is measured on the signal's power: by default over all channels
    (mean square of the whole clip), or per channel with ``per_channel=True``.
    The noise is scaled on its actual realisation, so the measured SNR
    ``10 log10(mean(x**2) / mean((y - x)**2))`` equals ``params["snr_db"]``.

    Noise sources: generated Gaussian noise of a ``color`` (white, pink ~1/f
    at -3 dB/octave, brown ~1/f**2 at -6 dB/octave, blue, violet; shaped in the
    frequency domain, independent per channel), or background clips from
    ``noise_bank``, tiled and cropped from a random offset to the clip length.
    A mono bank clip is added to every channel; a multichannel one must have
    the clip's channel count.

    Silent input: a clip (or, with ``per_channel``, a channel) whose power is
    zero gets no noise (the output equals the input, never NaN): there is no
    signal level to set an SNR against. A bank segment that is silent raises.

    Args:
        snr_db: (min, max) SNR in dB, or one number for a fixed SNR.
        color: a color name, or a list of them chosen uniformly per sample.
        noise_bank: optional list of background clips (1-D or (channels, time)).
        bank_prob: probability of taking the noise from the bank (else a color).
        per_channel: measure and set the SNR per channel.
        sample_rate: the clips' sample rate (kept for the record; bank clips must share it).
        p: probability of applying.

    Params: ``snr_db`` (float), ``source`` (color name or ``"bank"``), and
    ``seed`` (generated noise, regenerated in ``apply``) or ``clip``/``offset``.

    Example:
        >>> import torch
        >>> x = torch.sin(torch.arange(8000) * 0.05)
        >>> t = AddNoise(snr_db=(20, 20), color="brown")
        >>> params = t.sample(np.random.default_rng(0))
        >>> y = t.apply(x, params)
        >>> round(10 * math.log10(x.pow(2).mean() / (y - x).pow(2).mean()), 3)
        20.0
    """

    def __init__(
        self,
        snr_db: float | tuple[float, float] = (10.0, 30.0),
        color: str | Sequence[str] = "white",
        noise_bank: Sequence[Any] | None = None,
        bank_prob: float = 1.0,
        per_channel: bool = False,
        sample_rate: int | None = None,
        p: float = 1.0,
    ) -> None:
        super().__init__(p, sample_rate)
        owner = type(self).__name__
        self.snr_db = check_range_pair("snr_db", snr_db, low=-60.0, high=150.0, owner=owner)
        colors = [color] if isinstance(color, str) else color
        if not isinstance(colors, Sequence) or len(colors) == 0:
            raise TypeError(f"{owner}: color must be a color name or a non-empty list of names, got {color!r}")
        for c in colors:
            check_choice("color", c, sorted(AF.NOISE_COLORS), owner=owner)
        self.color = color if isinstance(color, str) else list(color)
        self._colors = list(colors)
        self.noise_bank = None if noise_bank is None else ClipBank(noise_bank, owner)
        self.bank_prob = check_number("bank_prob", bank_prob, low=0.0, high=1.0, owner=owner)
        if not isinstance(per_channel, bool):
            raise TypeError(f"{owner}: per_channel must be a bool, got {per_channel!r}")
        self.per_channel = per_channel

    def _sample(self, rng, strength):
        params: dict[str, Any] = {"snr_db": float(rng.uniform(*self.snr_db))}
        if self.noise_bank is not None and rng.random() < self.bank_prob:
            i = int(rng.integers(len(self.noise_bank)))
            params.update(source="bank", clip=i, offset=int(rng.integers(self.noise_bank.clips[i].shape[-1])))
        else:
            c = self._colors[int(rng.integers(len(self._colors)))] if len(self._colors) > 1 else self._colors[0]
            params.update(source=c, seed=int(rng.integers(2**63)))
        return params

    def _noise(self, t: torch.Tensor, params) -> torch.Tensor:
        if params["source"] == "bank":
            if self.noise_bank is None:
                raise ValueError("AddNoise: params take noise from a bank clip, but this AddNoise has no noise_bank")
            clip = self.noise_bank.clips[params["clip"]]
            if clip.ndim == 2 and clip.shape[0] != 1 and (t.ndim == 1 or clip.shape[0] != t.shape[0]):
                raise ValueError(
                    f"AddNoise: noise_bank[{params['clip']}] has {clip.shape[0]} channels but the waveform has shape "
                    f"{tuple(t.shape)}; use mono bank clips or clips with the same channel count"
                )
            seg = AF.tile_segment(clip, params["offset"], t.shape[-1]).to(device=t.device, dtype=t.dtype)
            if seg.ndim == 2 and seg.shape[0] == 1:
                seg = seg[0]
            return seg
        return AF.colored_noise(tuple(t.shape), params["source"], params["seed"], dtype=t.dtype, device=t.device)

    def _apply(self, x, params):
        t, was_numpy = self._wave(x)
        try:
            y = AF.add_noise(t, self._noise(t, params), params["snr_db"], per_channel=self.per_channel)
        except ValueError as e:
            raise ValueError(
                f"AddNoise ({params.get('source')}, clip {params.get('clip')}, offset {params.get('offset')}): {e}"
            ) from None
        return AF.restore_type(y, was_numpy)


class TimeShift(_AudioTransform):
    """Shift the waveform forward or backward in time by a drawn amount.

    Positive shifts delay the content (move it later). The shift is drawn
    uniformly from ``max_shift``: a number ``m`` means ``[-m, m]``, a pair
    ``(lo, hi)`` is used as given (e.g. ``(0, 0.1)`` for delays only).

    Units: ``"fraction"`` of the clip length (resolved per clip as
    ``round(fraction * length)``), ``"seconds"`` (needs ``sample_rate``,
    rounded to whole samples when drawn) or ``"samples"`` (integers).
    `shift_samples` gives the exact shift in samples. With ``rollover``
    the content wraps around; otherwise the vacated part is zero-filled.

    Args:
        max_shift: `m` for `[-m, m]`, or a `(lo, hi)` range, in `unit`.
        unit: `"fraction"` (of the clip, in [-1, 1]), `"seconds"` or `"samples"`.
        rollover: wrap the content around instead of zero-filling.
        sample_rate: the sample rate in Hz (required for `"seconds"`).
        p: probability of applying.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: a value is out of range, or `"seconds"` without `sample_rate`.

    Example:
        >>> t = TimeShift(max_shift=(3, 3), unit="samples", rollover=False)
        >>> t(torch.tensor([1., 2., 3., 4., 5.]), rng=0)
        tensor([0., 0., 0., 1., 2.])
    """

    def __init__(
        self,
        max_shift: float | tuple[float, float] = 0.2,
        unit: str = "fraction",
        rollover: bool = True,
        sample_rate: int | None = None,
        p: float = 1.0,
    ) -> None:
        super().__init__(p, sample_rate)
        owner = type(self).__name__
        self.unit = check_choice("unit", unit, ["fraction", "seconds", "samples"], owner=owner)
        if unit == "fraction":
            lo, hi = check_range_pair("max_shift", max_shift, low=-1.0, high=1.0, symmetric_scalar=True, owner=owner)
        elif unit == "seconds":
            if self.sample_rate is None:
                raise ValueError(f"{owner}: unit='seconds' needs sample_rate=<int Hz>")
            lo, hi = check_range_pair("max_shift", max_shift, symmetric_scalar=True, owner=owner)
        else:
            vals = max_shift if isinstance(max_shift, Sequence) and not isinstance(max_shift, str) else [max_shift]
            for v in vals:
                check_int("max_shift", v, owner=owner)
            lo, hi = check_range_pair("max_shift", max_shift, symmetric_scalar=True, owner=owner)
            lo, hi = int(lo), int(hi)
        self.max_shift = max_shift
        self._range = (lo, hi)
        if not isinstance(rollover, bool):
            raise TypeError(f"{owner}: rollover must be a bool, got {rollover!r}")
        self.rollover = rollover

    def _sample(self, rng, strength):
        lo, hi = self._range
        if self.unit == "fraction":
            return {"fraction": float(rng.uniform(lo, hi))}
        if self.unit == "seconds":
            return {
                "shift": int(round(float(rng.uniform(lo, hi)) * (self.sample_rate or 0)))
            }  # set: checked in __init__
        return {"shift": int(rng.integers(lo, hi + 1))}

    @staticmethod
    def shift_samples(params: dict[str, Any], length: int) -> int:
        """The shift in samples that ``params`` applies to a clip of ``length`` samples."""
        if not params.get("apply", True):
            return 0
        if "fraction" in params:
            return int(round(params["fraction"] * length))
        return int(params["shift"])

    def _apply(self, x, params):
        t, was_numpy = self._wave(x)
        y = AF.time_shift(t, self.shift_samples(params, t.shape[-1]), rollover=self.rollover)
        return AF.restore_type(y, was_numpy)


def _check_ratio_error(value: Any, owner: str) -> float:
    return check_number("max_ratio_error", value, low=1e-6, high=0.01, owner=owner)


class SpeedChange(_AudioTransform):
    """Speed perturbation: play the clip ``factor`` times faster by resampling.

    Duration scales by ``1 / factor`` and every frequency by ``factor`` (as on
    a tape; Ko et al. 2015). ``factors=(lo, hi)`` draws a continuous factor;
    with ``discrete=True``, ``factors`` is a set drawn uniformly (e.g.
    ``[0.9, 1.0, 1.1]``). The factor is realised as the simplest fraction
    ``p/q`` within ``max_ratio_error`` (relative, default 0.1 %) so that the
    windowed-sinc kernel is small and cached per ratio; ``params["factor"]``
    is that realised ``p/q`` and ``params["ratio"]`` is ``[p, q]``.

    The output has ``ceil(length / factor)`` samples; with ``keep_length`` it
    is cropped (at the end) or zero-padded (at the end) back to the input
    length. Use [PadCollate][collate.PadCollate] to batch variable lengths.

    Args:
        factors: a `(min, max)` range, or with `discrete=True` a list of factors, each in [0.25, 4].
        discrete: draw from the list `factors` instead of the range.
        keep_length: crop or zero-pad the output back to the input length.
        max_ratio_error: relative tolerance of the rational approximation, in [1e-6, 0.01].
        sample_rate: the sample rate in Hz (kept for the record).
        p: probability of applying.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: a value is out of range.

    Example:
        >>> t = SpeedChange(factors=[0.9, 1.1], discrete=True)
        >>> y = t(torch.zeros(1, 9900), rng=1)
        >>> y.shape[-1] in (11000, 9000)
        True
    """

    def __init__(
        self,
        factors: Sequence[float] = (0.9, 1.1),
        discrete: bool = False,
        keep_length: bool = False,
        max_ratio_error: float = 1e-3,
        sample_rate: int | None = None,
        p: float = 1.0,
    ) -> None:
        super().__init__(p, sample_rate)
        owner = type(self).__name__
        if not isinstance(discrete, bool):
            raise TypeError(f"{owner}: discrete must be a bool, got {discrete!r}")
        if not isinstance(keep_length, bool):
            raise TypeError(f"{owner}: keep_length must be a bool, got {keep_length!r}")
        self.discrete = discrete
        self.keep_length = keep_length
        self.max_ratio_error = _check_ratio_error(max_ratio_error, owner)
        lo, hi = SPEED_RANGE
        if discrete:
            if isinstance(factors, str) or not isinstance(factors, Sequence) or len(factors) == 0:
                raise TypeError(
                    f"{owner}: with discrete=True, factors must be a non-empty list of numbers, got {factors!r}"
                )
            self._choices = [
                check_number(f"factors[{i}]", f, low=lo, high=hi, owner=owner) for i, f in enumerate(factors)
            ]
            self._ratios = [AF.rational_approx(f, self.max_ratio_error) for f in self._choices]
        else:
            if isinstance(factors, Sequence) and not isinstance(factors, str) and len(factors) != 2:
                raise ValueError(
                    f"{owner}: factors must be a (min, max) range, got {factors!r}; "
                    "for a set of factors pass discrete=True"
                )
            self._range = check_range_pair("factors", factors, low=lo, high=hi, owner=owner)
        self.factors = list(factors) if discrete else factors

    def _sample(self, rng, strength):
        if self.discrete:
            num, den = self._ratios[int(rng.integers(len(self._ratios)))]
        else:
            num, den = AF.rational_approx(float(rng.uniform(*self._range)), self.max_ratio_error)
        return {"factor": num / den, "ratio": [num, den]}

    def _apply(self, x, params):
        t, was_numpy = self._wave(x)
        num, den = params["ratio"]
        y = AF.speed_change(t, num, den)
        if self.keep_length:
            n = t.shape[-1]
            y = y[..., :n].contiguous() if y.shape[-1] >= n else torch.nn.functional.pad(y, (0, n - y.shape[-1]))
        return AF.restore_type(y, was_numpy)


class PitchShift(_AudioTransform):
    """Shift the pitch by a fractional number of semitones, keeping the duration.

    Method: a phase vocoder (``torch.stft``/``istft``) stretches the clip by
    ``2 ** (s / 12)``, then a windowed-sinc polyphase resampler brings it back
    to the input length, which multiplies every frequency by the ratio. The
    ratio is the simplest fraction ``p/q`` within ``max_ratio_error`` of
    ``2 ** (s / 12)`` (default 0.1 %, i.e. at most 1.7 cents), so the kernel
    is small and cached; the pitch factor actually applied is exactly
    ``params["pitch_factor"] == p / q``. Unlike ``torchaudio.functional.pitch_shift``
    (which resamples by ``sample_rate / (sample_rate * 2 ** (s / 12))`` and
    builds a kernel with thousands of phases per call), this costs a few
    milliseconds per second of 16 kHz audio.

    Supported range: ``[-12, 12]`` semitones. The phase vocoder smears
    transients and makes fast frequency sweeps (chirps) fluctuate in level by
    a few dB (known properties of the method); stationary tones keep their
    frequencies and level.

    Args:
        semitones: (min, max) range drawn uniformly, or one number ``s`` for ``[-s, s]``.
        n_fft: STFT size; ``None`` chooses the power of two nearest 64 ms at
            ``sample_rate`` (1024 when ``sample_rate`` is not given). Clips shorter than
            ``n_fft`` raise ``ValueError``.
        hop_length: STFT hop (default ``n_fft // 4``).
        max_ratio_error: relative tolerance of the rational approximation.
        sample_rate: sample rate in Hz (only used to choose ``n_fft``).
        p: probability of applying.

    Example:
        >>> t = PitchShift(semitones=(3, 3))
        >>> t.sample(np.random.default_rng(0))["ratio"]
        [44, 37]
    """

    def __init__(
        self,
        semitones: float | tuple[float, float] = (-4.0, 4.0),
        n_fft: int | None = None,
        hop_length: int | None = None,
        max_ratio_error: float = 1e-3,
        sample_rate: int | None = None,
        p: float = 1.0,
    ) -> None:
        super().__init__(p, sample_rate)
        owner = type(self).__name__
        self.semitones = semitones
        self._range = check_range_pair("semitones", semitones, symmetric_scalar=True, owner=owner)
        if self._range[0] < -MAX_SEMITONES or self._range[1] > MAX_SEMITONES:
            raise ValueError(
                f"{owner}: semitones must lie in [-{MAX_SEMITONES:g}, {MAX_SEMITONES:g}] (one octave "
                f"each way is what the phase vocoder method supports), got {semitones!r}"
            )
        if n_fft is None:
            self._n_fft = 1024 if self.sample_rate is None else 2 ** max(4, round(math.log2(0.064 * self.sample_rate)))
        else:
            self._n_fft = check_int("n_fft", n_fft, low=16, high=1 << 16, owner=owner)
        self.n_fft = n_fft
        if hop_length is None:
            self._hop = self._n_fft // 4
        else:
            self._hop = check_int("hop_length", hop_length, low=1, high=self._n_fft, owner=owner)
        self.hop_length = hop_length
        self.max_ratio_error = _check_ratio_error(max_ratio_error, owner)

    def _sample(self, rng, strength):
        s = float(rng.uniform(*self._range))
        num, den = AF.rational_approx(2.0 ** (s / 12.0), self.max_ratio_error)
        return {"semitones": s, "pitch_factor": num / den, "ratio": [num, den]}

    def _apply(self, x, params):
        t, was_numpy = self._wave(x, min_length=self._n_fft)
        num, den = params["ratio"]
        y = AF.pitch_shift(t, num, den, n_fft=self._n_fft, hop_length=self._hop)
        return AF.restore_type(y, was_numpy)


class Gain(_AudioTransform):
    """Multiply by ``10 ** (db / 20)`` with ``db`` drawn uniformly from the range.

    No clipping (float audio may leave [-1, 1]; clip yourself before writing PCM).

    Args:
        db: a `(min, max)` range in dB, or `g` for `[-g, g]`; within [-120, 120].
        sample_rate: the sample rate in Hz (kept for the record).
        p: probability of applying.

    Raises:
        ValueError: `db` is out of range, or the result would overflow the dtype (when applied).

    Example:
        >>> Gain(db=(20, 20))(torch.tensor([0.01, -0.02]), rng=0)
        tensor([ 0.1000, -0.2000])
    """

    def __init__(
        self, db: float | tuple[float, float] = (-6.0, 6.0), sample_rate: int | None = None, p: float = 1.0
    ) -> None:
        super().__init__(p, sample_rate)
        self.db = check_range_pair("db", db, low=-120.0, high=120.0, symmetric_scalar=True, owner=type(self).__name__)

    def _sample(self, rng, strength):
        return {"db": float(rng.uniform(*self.db))}

    def _apply(self, x, params):
        t, was_numpy = self._wave(x)
        try:
            y = AF.gain(t, params["db"])
        except ValueError as e:
            raise ValueError(f"Gain: {str(e).removeprefix('gain: ')}") from None
        return AF.restore_type(y, was_numpy)


class _Mask(Transform):
    """SpecAugment mask along one spectrogram axis (``-1`` time, ``-2`` frequency)."""

    axis = -1
    axis_name = "time"

    def __init__(
        self, max_width: int, num_masks: int = 1, max_fraction: float = 1.0, fill: float | str = 0.0, p: float = 1.0
    ) -> None:
        super().__init__(p=p)
        owner = type(self).__name__
        self.max_width = check_int("max_width", max_width, low=0, owner=owner)
        self.num_masks = check_int("num_masks", num_masks, low=0, high=1000, owner=owner)
        self.max_fraction = check_number("max_fraction", max_fraction, low=0.0, high=1.0, owner=owner)
        if isinstance(fill, str):
            check_choice("fill", fill, ["mean"], owner=owner)
        else:
            check_number("fill", fill, owner=owner)
        self.fill = fill

    def _sample(self, rng, strength):
        masks = []
        for _ in range(self.num_masks):
            masks.append({"width": int(rng.integers(0, self.max_width + 1)), "position": float(rng.random())})
        return {"masks": masks}

    def regions(self, params: dict[str, Any], size: int) -> list[tuple[int, int]]:
        """The ``(start, width)`` ranges ``params`` masks on an axis of ``size`` bins.

        Width is ``min(drawn width, floor(max_fraction * size))``; the start is
        ``floor(position * (size - width + 1))``, uniform over valid starts.
        """
        if not params.get("apply", True):
            return []
        cap = math.floor(self.max_fraction * size)
        out = []
        for m in params["masks"]:
            w = min(int(m["width"]), cap)
            start = min(math.floor(m["position"] * (size - w + 1)), size - w)
            out.append((start, w))
        return out

    def _apply(self, x, params):
        t, was_numpy = AF.check_spectrogram(x, owner=type(self).__name__)
        regions = self.regions(params, t.shape[self.axis])
        return AF.restore_type(AF.mask_along(t, regions, self.axis, self.fill), was_numpy)


class TimeMask(_Mask):
    """SpecAugment time masking on a spectrogram ``(..., freq, time)``.

    Draws ``num_masks`` masks, each ``width ~ U{0..max_width}`` frames (capped
    at ``max_fraction`` of the frames, like torchaudio's ``p``) at a uniform
    position, and fills them with ``fill``: ``0.0`` (default; the mean of
    normalised log-mel features, as in SpecAugment) or ``"mean"`` (the mean of
    the whole input spectrogram, for un-normalised features). The same mask
    applies to all leading (channel) dimensions. `regions` gives the
    exact frames masked.

    Args:
        max_width: the widest mask, in frames (>= 0).
        num_masks: masks per spectrogram.
        max_fraction: the widest mask as a fraction of the frames, in [0, 1].
        fill: a number, or `"mean"`.
        p: probability of applying.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: a value is out of range.

    Example:
        >>> t = TimeMask(max_width=3)
        >>> params = t.sample(np.random.default_rng(0))
        >>> out = t.apply(torch.ones(4, 10), params)
        >>> int((out == 0).all(dim=0).sum()) == t.regions(params, 10)[0][1]
        True
    """

    axis = -1
    axis_name = "time"

    def __init__(
        self,
        max_width: int = 20,
        num_masks: int = 1,
        max_fraction: float = 1.0,
        fill: float | str = 0.0,
        p: float = 1.0,
    ) -> None:
        super().__init__(max_width, num_masks, max_fraction, fill, p)


class FrequencyMask(_Mask):
    """SpecAugment frequency masking on a spectrogram ``(..., freq, time)``.

    Same drawing and fill rules as `TimeMask`, along the frequency axis
    (``-2``).

    Args:
        max_width: the widest mask, in frequency bins (>= 0).
        num_masks: masks per spectrogram.
        max_fraction: the widest mask as a fraction of the bins, in [0, 1].
        fill: a number, or `"mean"`.
        p: probability of applying.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: a value is out of range.

    Example:
        >>> t = FrequencyMask(max_width=2, num_masks=2, fill=-1.0)
        >>> out = t(torch.zeros(8, 5), rng=3)
        >>> out.shape
        torch.Size([8, 5])
    """

    axis = -2
    axis_name = "frequency"

    def __init__(
        self,
        max_width: int = 10,
        num_masks: int = 1,
        max_fraction: float = 1.0,
        fill: float | str = 0.0,
        p: float = 1.0,
    ) -> None:
        super().__init__(max_width, num_masks, max_fraction, fill, p)
