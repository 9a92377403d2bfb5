"""Pure audio operations: the functional core under `loaders.audio`.

Every function here is deterministic (randomness enters only as explicit
integer seeds) and never modifies its input. Waveforms are float tensors of
shape ``(time,)`` or ``(channels, time)``; spectrograms are ``(..., freq, time)``.

The resampler is a windowed-sinc polyphase filter (the same Hann-windowed sinc
design as ``torchaudio.functional.resample``) whose kernel is cached per
``(orig, new)`` ratio, so repeated ratios cost one convolution. Arbitrary
(continuous) ratios are first approximated by the simplest fraction ``p/q``
within a relative tolerance (`rational_approx`); that keeps ``p`` and
``q`` small, the kernel tiny and the error bounded by the tolerance.

Example:
    >>> import torch
    >>> x = torch.sin(torch.arange(1600) * 0.1)
    >>> y = resample(x, 10, 11)                  # 1600 samples -> 1760 samples
    >>> tuple(y.shape)
    (1760,)
    >>> rational_approx(2 ** (3 / 12), 1e-3)     # a minor third within 0.1 %
    (44, 37)
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from fractions import Fraction

import numpy as np
import torch
import torch.nn.functional as F

from ..layout import check_waveform_shape

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

Array = torch.Tensor | np.ndarray

#: Exponent ``b`` of the amplitude spectrum ``|X(f)| ~ f**-b`` per noise color.
#: Power falls as ``f**(-2b)``: pink -3.01 dB/octave, brown -6.02 dB/octave,
#: blue +3.01 dB/octave, violet +6.02 dB/octave.
NOISE_COLORS = {"white": 0.0, "pink": 0.5, "brown": 1.0, "blue": -0.5, "violet": -1.0}

_FLOAT_DTYPES = (torch.float32, torch.float64)


# ---------------------------------------------------------------------------
# Input checking
# ---------------------------------------------------------------------------
def _to_tensor(x: Array, owner: str, name: str) -> tuple[torch.Tensor, bool]:
    if isinstance(x, torch.Tensor):
        return x, False
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biufc":
            raise TypeError(f"{owner}: {name} has dtype {x.dtype}; audio must be a float32/float64 array")
        if not x.flags.writeable or not x.flags.c_contiguous or not x.dtype.isnative:
            x = np.array(x, dtype=x.dtype.newbyteorder("="), order="C")
        return torch.from_numpy(x), True
    raise TypeError(f"{owner}: {name} must be a torch.Tensor or numpy.ndarray, got {type(x).__name__}")


def as_waveform(
    x: Array, owner: str = "audio", name: str = "waveform", min_length: int = 1
) -> tuple[torch.Tensor, bool]:
    """Validate a waveform and return `(tensor, was_numpy)`.

    Accepts float32/float64 `torch.Tensor` or `numpy.ndarray` of shape
    `(time,)` or `(channels, time)`. Integer PCM is refused with a
    `TypeError` that says how to convert (`x.float() / 32768` for int16):
    guessing the full-scale value would silently change loudness. A 2-D clip
    with more channels than samples is refused as `(time, channels)` (the rule
    of [loaders.layout][]: transpose it). NaN/inf, empty clips, clips shorter
    than `min_length` and other ranks raise `ValueError`. A numpy input is
    viewed (not copied) as a tensor; a negative-stride, read-only or
    non-native-byte-order array is copied first.

    Args:
        x: the waveform.
        owner: the transform or function, for messages.
        name: what the waveform is called, for messages.
        min_length: the fewest samples allowed.

    Returns:
        `(tensor, was_numpy)`.

    Raises:
        TypeError: not a tensor/array, or not float32/float64.
        ValueError: wrong rank, `(time, channels)` layout, empty, too short, or not finite.

    Example:
        >>> t, was_numpy = as_waveform(np.zeros((2, 100), np.float32))
        >>> tuple(t.shape), was_numpy
        ((2, 100), True)
    """
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    if isinstance(x, np.ndarray) and kind in ("i", "u"):
        raise TypeError(
            f"{owner}: {name} has integer dtype {x.dtype}; audio transforms need float32/float64 in [-1, 1]. "
            f"Convert PCM first, e.g. x.astype(np.float32) / {2 ** (8 * x.dtype.itemsize - 1)}"
        )
    t, was_numpy = _to_tensor(x, owner, name)
    if t.dtype not in _FLOAT_DTYPES:
        if not t.is_floating_point() and not t.is_complex():
            bits = torch.iinfo(t.dtype).bits if t.dtype != torch.bool else 1
            raise TypeError(
                f"{owner}: {name} has integer dtype {t.dtype}; audio transforms need float32/float64 in [-1, 1]. "
                f"Convert PCM first, e.g. x.float() / {2 ** (bits - 1)} (int16 -> divide by 32768)"
            )
        raise TypeError(f"{owner}: {name} must be float32 or float64, got {t.dtype}")
    if t.ndim not in (1, 2):
        raise ValueError(
            f"{owner}: {name} must have shape (time,) or (channels, time), got {tuple(t.shape)} "
            f"({t.ndim}-D); loop over batches/apply per sample"
        )
    if t.shape[-1] == 0 or t.numel() == 0:
        raise ValueError(f"{owner}: {name} is empty (shape {tuple(t.shape)})")
    check_waveform_shape(tuple(t.shape), owner, name)
    if t.shape[-1] < min_length:
        raise ValueError(
            f"{owner}: {name} has {t.shape[-1]} samples, fewer than the {min_length} this transform "
            f"needs (its FFT size); pad the clip or lower n_fft"
        )
    if not _all_finite(t):
        raise ValueError(f"{owner}: {name} contains NaN or inf samples")
    return t, was_numpy


def _all_finite(t: torch.Tensor) -> bool:
    # Fast path: one reduction, no mask allocated. A finite sum proves every sample finite;
    # otherwise (NaN/inf, or an overflowing sum of huge values) check element by element.
    if math.isfinite(t.sum().item()):  # .item() and math: a third of the cost of torch.isfinite on a 0-d tensor
        return True
    return bool(torch.isfinite(t).all())


def check_spectrogram(x: Array, owner: str = "audio", name: str = "spectrogram") -> tuple[torch.Tensor, bool]:
    """Validate a real spectrogram `(..., freq, time)`; return `(tensor, was_numpy)`.

    Args:
        x: a floating-point tensor or numpy array (magnitude, power or dB).
        owner: the transform or function, for messages.
        name: what the input is called, for messages.

    Returns:
        `(tensor, was_numpy)`; a numpy input is viewed as a tensor (copied only when
        it is read-only, not C-contiguous or not in native byte order).

    Raises:
        TypeError: not a tensor/array, or not floating point.
        ValueError: fewer than 2 dimensions, empty, or NaN/inf values.

    Example:
        >>> t, was_numpy = check_spectrogram(np.ones((2, 40, 100), np.float32))
        >>> tuple(t.shape), was_numpy
        ((2, 40, 100), True)
    """
    if isinstance(x, np.ndarray) and x.dtype.kind not in "f":
        raise TypeError(f"{owner}: {name} must be a floating-point array, got dtype {x.dtype}")
    t, was_numpy = _to_tensor(x, owner, name)
    if not t.is_floating_point():
        raise TypeError(f"{owner}: {name} must be a real floating-point tensor (magnitude, power or dB), got {t.dtype}")
    if t.ndim < 2:
        raise ValueError(f"{owner}: {name} must have shape (..., freq, time), got {tuple(t.shape)}")
    if t.numel() == 0:
        raise ValueError(f"{owner}: {name} is empty (shape {tuple(t.shape)})")
    if not _all_finite(t):
        raise ValueError(f"{owner}: {name} contains NaN or inf values (clamp dB spectrograms to a floor first)")
    return t, was_numpy


def restore_type(y: torch.Tensor, was_numpy: bool) -> Array:
    """Give the result back as numpy when the input was numpy.

    Args:
        y: the result.
        was_numpy: the second value returned by [as_waveform][loaders.audio.functional.as_waveform].

    Returns:
        `y.numpy()` or `y`.

    Example:
        >>> type(restore_type(torch.zeros(2), True)).__name__
        'ndarray'
    """
    return y.numpy() if was_numpy else y


# ---------------------------------------------------------------------------
# Noise
# ---------------------------------------------------------------------------
def signal_power(x: torch.Tensor, per_channel: bool = False) -> torch.Tensor:
    """Mean square in float64 (no overflow for loud float32 clips), over all samples or per channel.

    Args:
        x: a waveform `(time,)` or `(channels, time)`.
        per_channel: one power per channel (shape `(channels, 1)`) instead of one in all.

    Returns:
        A float64 tensor.

    Example:
        >>> x = torch.tensor([[1.0, 1.0], [3.0, 3.0]])
        >>> p, pc = signal_power(x), signal_power(x, per_channel=True)
        >>> round(p.item(), 9), [round(v, 9) for v in pc.flatten().tolist()]
        (5.0, [1.0, 9.0])
    """
    if per_channel:
        norm = torch.linalg.vector_norm(x, dim=-1, keepdim=True, dtype=torch.float64)
        return norm.square() / x.shape[-1]
    return torch.linalg.vector_norm(x, dtype=torch.float64).square() / x.numel()


def colored_noise(
    shape: tuple[int, ...],
    color: str,
    seed: int,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Gaussian noise with a power-law spectrum, unit mean square per channel.

    White Gaussian noise is drawn on the CPU from ``torch.Generator`` seeded
    with ``seed`` (identical on every device), then shaped in the frequency
    domain by ``f ** -b`` (`NOISE_COLORS`) with the DC bin removed, and
    normalised so that each channel (last axis) has mean square 1.

    Args:
        shape: the output shape; the last axis is time.
        color: a key of `NOISE_COLORS`.
        seed: the integer seed of the white noise.
        dtype: the output dtype.
        device: the output device.

    Returns:
        The noise tensor.

    Example:
        >>> n = colored_noise((2, 4000), "pink", seed=3)
        >>> [round(v, 4) for v in n.pow(2).mean(-1).tolist()]
        [1.0, 1.0]
    """
    if color not in NOISE_COLORS:
        raise ValueError(f"colored_noise: color must be one of {sorted(NOISE_COLORS)}, got {color!r}")
    g = torch.Generator().manual_seed(int(seed))
    n = shape[-1]
    work = dtype if dtype in _FLOAT_DTYPES else torch.float64
    noise = torch.randn(shape, generator=g, dtype=work)  # drawn on the CPU: the same on every device
    b = NOISE_COLORS[color]
    if b != 0.0 and n > 1:
        spec = torch.fft.rfft(noise, dim=-1)
        f = torch.fft.rfftfreq(n, dtype=work)
        scale = torch.zeros_like(f)
        scale[1:] = f[1:].pow(-b)
        noise = torch.fft.irfft(spec.mul_(scale), n=n, dim=-1)
    rms = noise.square().mean(dim=-1, keepdim=True).sqrt_()
    noise = noise.div_(torch.where(rms > 0, rms, torch.ones_like(rms)))
    return noise.to(device=device, dtype=dtype)


def tile_segment(clip: torch.Tensor, offset: int, length: int) -> torch.Tensor:
    """`length` samples of `clip` starting at `offset`, wrapping around (tiling) as needed.

    Args:
        clip: a waveform; the last axis is time.
        offset: the first sample, `0 <= offset < clip.shape[-1]`.
        length: how many samples to return.

    Returns:
        A tensor with `length` samples on the last axis.

    Example:
        >>> tile_segment(torch.tensor([1.0, 2.0, 3.0]), 2, 5)
        tensor([3., 1., 2., 3., 1.])
    """
    n = clip.shape[-1]
    idx = (torch.arange(length, device=clip.device) + int(offset)) % n
    return clip.index_select(-1, idx)


def add_noise(x: torch.Tensor, noise: torch.Tensor, snr_db: float, per_channel: bool = False) -> torch.Tensor:
    """``x + k * noise`` with ``k`` chosen so that ``10 log10(P_x / P_(k noise)) == snr_db``.

    ``noise`` must broadcast to ``x``. Powers are mean squares over all
    channels and samples, or per channel when ``per_channel``. Where the signal
    power is zero (a silent clip or channel) nothing is added: the result equals
    ``x``, never NaN. A silent noise segment cannot reach any SNR and raises.

    Args:
        x: a finite float waveform.
        noise: noise that broadcasts to `x`.
        snr_db: the signal-to-noise ratio in dB.
        per_channel: measure and set the SNR per channel.

    Returns:
        The noisy waveform, same shape and dtype.

    Raises:
        ValueError: the noise is silent where the signal is not, or the result overflows the dtype.

    Example:
        >>> x = torch.ones(1000)
        >>> y = add_noise(x, colored_noise((1000,), "white", seed=0), snr_db=20.0)
        >>> round(10 * math.log10(1.0 / (y - x).pow(2).mean().item()), 6)
        20.0
    """
    noise = noise.to(dtype=x.dtype)
    noise = noise.expand_as(x) if noise.shape != x.shape else noise
    ps = signal_power(x, per_channel)
    pn = signal_power(noise, per_channel)
    if bool(((pn <= 0) & (ps > 0)).any()):
        raise ValueError(
            "add_noise: the noise segment is silent (zero power), so no SNR can be reached; "
            "trim digital silence from the noise clips"
        )
    target = ps / (10.0 ** (float(snr_db) / 10.0))
    k = torch.where(ps > 0, torch.sqrt(target / torch.where(pn > 0, pn, torch.ones_like(pn))), torch.zeros_like(ps))
    y = x + k.to(x.dtype) * noise
    if not _all_finite(y):
        raise ValueError(
            f"add_noise: the result overflows {x.dtype} (signal peak {float(x.abs().max()):.3g}, noise scaled to "
            f"{float(snr_db):g} dB SNR); normalise the clip (float audio lives in [-1, 1]) or use float64"
        )
    return y


def gain(x: torch.Tensor, db: float) -> torch.Tensor:
    """Scale by `10 ** (db / 20)` (no clipping: float audio may exceed [-1, 1]).

    Args:
        x: a finite float waveform.
        db: the gain in dB.

    Returns:
        The scaled waveform, same dtype and device.

    Raises:
        ValueError: the result would overflow the dtype (it is never clipped or made inf silently).

    Example:
        >>> gain(torch.tensor([0.5, -0.25]), 6.0205999)
        tensor([ 1.0000, -0.5000])
    """
    factor = 10.0 ** (float(db) / 20.0)
    y = x * factor
    if factor > 1.0 and not _all_finite(y):
        raise ValueError(
            f"gain: the result overflows {x.dtype}: peak {float(x.abs().max()):.3g} times {factor:.3g} "
            f"({float(db):g} dB) exceeds {torch.finfo(x.dtype).max:.3g}; normalise the clip "
            "(float audio lives in [-1, 1]) or lower the gain"
        )
    return y


def time_shift(x: torch.Tensor, shift: int, rollover: bool = True) -> torch.Tensor:
    """Move the content by ``shift`` samples along the last axis (positive = later).

    With ``rollover`` the samples pushed off one end re-enter at the other;
    otherwise the vacated samples are zero.

    Args:
        x: a waveform; the last axis is time.
        shift: samples to move (negative: earlier).
        rollover: wrap around instead of zero-filling.

    Returns:
        The shifted waveform, same shape.

    Example:
        >>> time_shift(torch.tensor([1., 2., 3., 4.]), 1, rollover=False)
        tensor([0., 1., 2., 3.])
        >>> time_shift(torch.tensor([1., 2., 3., 4.]), -1)
        tensor([2., 3., 4., 1.])
    """
    shift = int(shift)
    n = x.shape[-1]
    if rollover:
        return torch.roll(x, shifts=shift % n if n else 0, dims=-1)
    out = torch.zeros_like(x)
    if abs(shift) >= n:
        return out
    if shift > 0:
        out[..., shift:] = x[..., : n - shift]
    elif shift < 0:
        out[..., : n + shift] = x[..., -shift:]
    else:
        out.copy_(x)
    return out


# ---------------------------------------------------------------------------
# Rational approximation and the cached polyphase resampler
# ---------------------------------------------------------------------------
def _simplest_between(lo: Fraction, hi: Fraction) -> Fraction:
    """The fraction with the smallest denominator in the closed interval ``[lo, hi]`` (0 < lo <= hi)."""
    n = math.floor(lo)
    if n == lo:
        return Fraction(n)
    if n + 1 <= hi:
        return Fraction(n + 1)
    # lo and hi lie strictly inside (n, n + 1): recurse on the reciprocals of the fractional parts.
    rest = _simplest_between(1 / (hi - n), 1 / (lo - n))
    return n + 1 / rest


def rational_approx(value: float, max_error: float) -> tuple[int, int]:
    """The simplest fraction `p/q` with `|p/q - value| <= max_error * value`.

    "Simplest" means smallest denominator (continued-fraction search), which
    keeps the resampling kernel small. The relative error is at most
    `max_error` by construction; the denominator is at most about
    `1 / (max_error * value)`.

    Args:
        value: a positive number.
        max_error: the relative tolerance, > 0.

    Returns:
        `(p, q)`, positive integers.

    Example:
        >>> rational_approx(1.5, 1e-3), rational_approx(math.pi, 1e-3)
        ((3, 2), (22, 7))
    """
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"rational_approx: value must be a positive finite number, got {value!r}")
    if not 0 <= max_error < 1:
        raise ValueError(f"rational_approx: max_error must be in [0, 1), got {max_error!r}")
    v = Fraction(value)
    if max_error == 0:
        f = v.limit_denominator(1 << 20)
    else:
        eps = Fraction(max_error) * v
        f = _simplest_between(v - eps, v + eps)
    return f.numerator, f.denominator


class _KernelCache:
    """LRU cache of resampling kernels bounded by entry count and total elements."""

    def __init__(self, max_items: int = 256, max_elements: int = 8_000_000) -> None:
        self.max_items = max_items
        self.max_elements = max_elements
        self._d: OrderedDict[tuple, tuple[torch.Tensor, int]] = OrderedDict()
        self._elements = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key, build):
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                self.hits += 1
                return self._d[key]
        value = build()
        with self._lock:
            self.misses += 1
            if key not in self._d:
                self._d[key] = value
                self._elements += value[0].numel()
                while len(self._d) > self.max_items or (self._elements > self.max_elements and len(self._d) > 1):
                    _, (k, _) = self._d.popitem(last=False)
                    self._elements -= k.numel()
        return value

    def clear(self) -> None:
        with self._lock:
            self._d.clear()
            self._elements = 0


_KERNELS = _KernelCache()


def _build_kernel(
    orig: int, new: int, lowpass_width: int, rolloff: float, dtype: torch.dtype, device: torch.device
) -> tuple[torch.Tensor, int]:
    """Polyphase matrix ``(orig + 2 * width, new)``: column ``j`` holds the taps of output phase ``j``.

    Hann-windowed sinc with cutoff ``rolloff * min(orig, new)`` (the design of
    torchaudio's ``sinc_interp_hann``), evaluated in the signal's precision
    (float32 kernels are accurate to about 1e-7, far below float32 audio noise).
    """
    base = min(orig, new) * rolloff
    width = math.ceil(lowpass_width * orig / base)
    work = torch.float32 if dtype == torch.float32 else torch.float64
    t = torch.arange(-width, width + orig, dtype=work)[:, None] / orig - torch.arange(new, dtype=work)[None, :] / new
    t = (t * base).clamp_(-lowpass_width, lowpass_width)
    kernel = torch.sinc(t) * torch.cos(t * (math.pi / lowpass_width / 2)).square_() * (base / orig)
    return kernel.to(device=device, dtype=dtype), width


def resample(x: torch.Tensor, orig: int, new: int, lowpass_width: int = 6, rolloff: float = 0.99) -> torch.Tensor:
    """Resample the last axis by the integer ratio `new / orig` (windowed-sinc polyphase).

    Output length is `ceil(len * new / orig)` (as in torchaudio). The kernel
    for the reduced ratio is cached (bounded LRU, per dtype and device), so a
    repeated ratio costs one matrix product of `orig + 2 * width` taps per
    output sample (bitwise independent of the thread count).

    Args:
        x: a float waveform; the last axis is time.
        orig: the original rate (any positive integer unit).
        new: the new rate.
        lowpass_width: the sinc's zero crossings on each side (sharper filter, longer kernel).
        rolloff: the cut-off as a fraction of the lower Nyquist frequency.

    Returns:
        The resampled waveform, same dtype and device.

    Example:
        >>> resample(torch.sin(torch.arange(1600) * 0.1), 2, 1).shape
        torch.Size([800])
    """
    orig, new = int(orig), int(new)
    if orig <= 0 or new <= 0:
        raise ValueError(f"resample: orig and new must be positive ints, got {orig}, {new}")
    g = math.gcd(orig, new)
    orig, new = orig // g, new // g
    if orig == new:
        return x.clone()
    key = (orig, new, int(lowpass_width), float(rolloff), x.dtype, x.device)
    kernel, width = _KERNELS.get(key, lambda: _build_kernel(orig, new, lowpass_width, rolloff, x.dtype, x.device))
    shape = x.shape
    n = shape[-1]
    flat = F.pad(x.reshape(-1, n), (width, width + orig))
    # Frames of ``orig + 2 * width`` taps every ``orig`` samples, times the (taps, new) polyphase matrix.
    # A matmul (rather than conv1d) keeps the result bitwise independent of the thread count, so
    # DataLoader workers (1 thread each) and the main process produce identical samples.
    frames = flat.unfold(-1, kernel.shape[0], orig)
    y = torch.matmul(frames, kernel).reshape(flat.shape[0], -1)
    target = math.ceil(new * n / orig)
    return y[..., :target].reshape(shape[:-1] + (target,))


def speed_change(x: torch.Tensor, num: int, den: int) -> torch.Tensor:
    """Play ``x`` ``num/den`` times faster: duration scales by ``den/num``, frequencies by ``num/den``.

    The output has ``ceil(len * den / num)`` samples (torchaudio's ``speed``).

    Args:
        x: a float waveform; the last axis is time.
        num: numerator of the speed factor.
        den: denominator of the speed factor.

    Returns:
        The resampled waveform.

    Example:
        >>> speed_change(torch.zeros(1100), 11, 10).shape[-1]
        1000
    """
    return resample(x, num, den)


# ---------------------------------------------------------------------------
# Phase vocoder and pitch shifting
# ---------------------------------------------------------------------------
def stft_frames(x: torch.Tensor, n_fft: int, hop_length: int, window: torch.Tensor) -> torch.Tensor:
    """Complex STFT in frames-major layout `(..., frames, n_fft // 2 + 1)`.

    Same frames as `torch.stft(x, n_fft, hop_length, window=window, center=True,
    pad_mode="reflect")` transposed: reflect padding of `n_fft // 2` on both sides,
    `1 + len // hop_length` frames. Needs `len > n_fft // 2`.

    Args:
        x: a float waveform; the last axis is time.
        n_fft: the frame size.
        hop_length: the step between frames.
        window: a window of `n_fft` samples (same dtype and device as `x`).

    Returns:
        A complex tensor `(..., frames, n_fft // 2 + 1)`.

    Example:
        >>> w = torch.hann_window(256, dtype=torch.float64)
        >>> stft_frames(torch.randn(2000, dtype=torch.float64), 256, 64, w).shape
        torch.Size([32, 129])
    """
    pad = n_fft // 2
    lead = x.shape[:-1]
    padded = F.pad(x.reshape(-1, 1, x.shape[-1]), (pad, pad), mode="reflect").reshape(lead + (-1,))
    frames = padded.unfold(-1, n_fft, hop_length) * window
    return torch.fft.rfft(frames, dim=-1)


def istft_frames(spec: torch.Tensor, n_fft: int, hop_length: int, window: torch.Tensor, length: int) -> torch.Tensor:
    """Inverse of [stft_frames][loaders.audio.functional.stft_frames]: windowed overlap-add, cut or padded to `length`.

    Matches `torch.istft(..., center=True, length=length)` on the transposed
    spectrogram. When `hop_length` divides `n_fft` the overlap-add is done
    with `n_fft / hop_length` block additions (fast); otherwise with `fold`.

    Args:
        spec: a complex STFT `(..., frames, n_fft // 2 + 1)`.
        n_fft: the frame size.
        hop_length: the step between frames.
        window: the analysis window.
        length: the number of output samples.

    Returns:
        A real waveform `(..., length)`.

    Example:
        >>> w = torch.hann_window(256, dtype=torch.float64)
        >>> x = torch.randn(2000, dtype=torch.float64)
        >>> torch.allclose(istft_frames(stft_frames(x, 256, 64, w), 256, 64, w, 2000), x, atol=1e-9)
        True
    """
    frames = torch.fft.irfft(spec, n=n_fft, dim=-1).mul_(window)  # (..., M, n_fft)
    lead, m = frames.shape[:-2], frames.shape[-2]
    total = n_fft + hop_length * (m - 1)
    if n_fft % hop_length == 0:
        r = n_fft // hop_length
        blocks = frames.reshape(lead + (m, r, hop_length))
        out = frames.new_zeros(lead + (m + r - 1, hop_length))
        for k in range(r):
            out[..., k : k + m, :] += blocks[..., :, k, :]
        out = out.reshape(lead + (total,))
    else:
        flat = frames.reshape(-1, m, n_fft).transpose(1, 2)
        out = F.fold(flat, (1, total), (1, n_fft), stride=(1, hop_length)).reshape(lead + (total,))
    pad = n_fft // 2
    stop = min(total, pad + length)
    y = out[..., pad:stop].mul_(_inverse_envelope(window, hop_length, m, pad, stop))
    if y.shape[-1] < length:
        y = F.pad(y, (0, length - y.shape[-1]))
    return y


_ENVELOPES: OrderedDict[tuple, torch.Tensor] = OrderedDict()


def _inverse_envelope(window: torch.Tensor, hop: int, m: int, start: int, stop: int) -> torch.Tensor:
    """``1 / sum_k window[t - k hop] ** 2`` on ``[start, stop)``, cached (the ISTFT normaliser)."""
    key = (window.shape[0], hop, m, start, stop, window.dtype, window.device)
    env = _ENVELOPES.get(key)
    if env is None:
        n_fft = window.shape[0]
        total = n_fft + hop * (m - 1)
        wsq = (window * window).reshape(1, n_fft, 1).expand(1, n_fft, m)
        acc = F.fold(wsq, (1, total), (1, n_fft), stride=(1, hop)).reshape(total)
        env = 1.0 / acc[start:stop].clamp_min(1e-11)
        _ENVELOPES[key] = env
        if len(_ENVELOPES) > 256:
            _ENVELOPES.popitem(last=False)
    return env


def phase_vocoder(spec: torch.Tensor, rate: float, hop_length: int) -> torch.Tensor:
    """Time-stretch a complex STFT in frames-major layout `(..., frames, freq)` by `rate` (> 1 is faster).

    Classic phase vocoder: magnitudes are interpolated between neighbouring
    frames; phases are accumulated from the measured instantaneous frequency
    of each bin, so stationary partials keep their frequency. (The layout is
    the transpose of `torch.stft`'s, so that frames are contiguous rows.)

    Args:
        spec: a complex STFT from [stft_frames][loaders.audio.functional.stft_frames].
        rate: the speed-up factor, > 0.
        hop_length: the hop the STFT was computed with.

    Returns:
        A complex STFT with `ceil(frames / rate)` frames.

    Example:
        >>> w = torch.hann_window(256, dtype=torch.float64)
        >>> spec = stft_frames(torch.randn(2000, dtype=torch.float64), 256, 64, w)
        >>> phase_vocoder(spec, 2.0, 64).shape
        torch.Size([16, 129])
    """
    n_frames, n_freq = spec.shape[-2], spec.shape[-1]
    real = spec.real.dtype
    steps = np.arange(0, n_frames, rate, dtype=np.float64)
    m = steps.shape[0]
    idx0 = steps.astype(np.int64)
    alphas = torch.from_numpy((steps - idx0)[:, None]).to(device=spec.device, dtype=real)
    idx = torch.from_numpy(np.concatenate([idx0, idx0 + 1])).to(spec.device)
    # Magnitude and phase once per input frame (two zero frames appended), then gathered.
    padded = F.pad(spec, (0, 0, 0, 2))
    if padded.requires_grad and torch.is_grad_enabled():
        return _phase_vocoder_autograd(padded, idx, alphas, m, hop_length)
    # In-place arithmetic on the buffers allocated here: each large allocation costs page faults.
    norm = torch.linalg.vector_norm(torch.view_as_real(padded), dim=-1)
    angle = padded.angle()
    n01 = norm.index_select(-2, idx)
    a01 = angle.index_select(-2, idx)
    mag = torch.lerp(n01[..., :m, :], n01[..., m:, :], alphas)
    phase_advance = torch.linspace(0, math.pi * hop_length, n_freq, dtype=real, device=spec.device)
    dphi = a01[..., m:, :].sub_(a01[..., :m, :]).sub_(phase_advance)
    wraps = torch.mul(dphi, 0.5 / math.pi, out=n01[..., m:, :]).round_()
    dphi.add_(wraps, alpha=-2.0 * math.pi).add_(phase_advance)
    dphi.cumsum_(dim=-2)
    # phase[0] = angle of the first frame; phase[j] = angle0 + sum of the first j increments.
    phase = a01[..., :m, :]
    phase.narrow(-2, 0, 1).copy_(angle.narrow(-2, 0, 1))
    if m > 1:
        torch.add(dphi.narrow(-2, 0, m - 1), angle.narrow(-2, 0, 1), out=phase.narrow(-2, 1, m - 1))
    re = torch.cos(phase).mul_(mag)
    im = phase.sin_().mul_(mag)
    return torch.complex(re, im)  # about 2x faster than torch.polar


def _phase_vocoder_autograd(padded, idx, alphas, m, hop_length):
    # The same arithmetic out of place, for inputs that require grad.
    n_freq = padded.shape[-1]
    norm = padded.abs()
    angle = padded.angle()
    n01 = norm.index_select(-2, idx)
    a01 = angle.index_select(-2, idx)
    mag = torch.lerp(n01[..., :m, :], n01[..., m:, :], alphas)
    phase_advance = torch.linspace(0, math.pi * hop_length, n_freq, dtype=norm.dtype, device=norm.device)
    dphi = a01[..., m:, :] - a01[..., :m, :] - phase_advance
    dphi = dphi - (2.0 * math.pi) * torch.round(dphi * (0.5 / math.pi)) + phase_advance
    phase = torch.cumsum(torch.cat([angle[..., :1, :], dphi[..., :-1, :]], dim=-2), dim=-2)
    return torch.polar(mag, phase)


_WINDOWS: OrderedDict[tuple, torch.Tensor] = OrderedDict()


def _hann(n_fft: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    key = (n_fft, dtype, device)
    w = _WINDOWS.get(key)
    if w is None:
        w = torch.hann_window(n_fft, dtype=dtype, device=device)
        _WINDOWS[key] = w
        if len(_WINDOWS) > 32:
            _WINDOWS.popitem(last=False)
    return w


def time_stretch(x: torch.Tensor, length: int, n_fft: int = 1024, hop_length: int | None = None) -> torch.Tensor:
    """Change the duration of ``x`` to ``length`` samples, keeping its pitch (phase vocoder).

    Args:
        x: a float waveform `(time,)` or `(channels, time)`, longer than `n_fft // 2`.
        length: the output length in samples.
        n_fft: the STFT size.
        hop_length: the STFT hop (default `n_fft // 4`).

    Returns:
        The stretched waveform `(..., length)`.

    Example:
        >>> x = torch.sin(torch.arange(4000) * 0.2)
        >>> time_stretch(x, 5000).shape
        torch.Size([5000])
    """
    hop = hop_length or n_fft // 4
    n = x.shape[-1]
    window = _hann(n_fft, x.dtype, x.device)
    spec = stft_frames(x, n_fft, hop, window)
    stretched = phase_vocoder(spec, rate=n / length, hop_length=hop)
    return istft_frames(stretched, n_fft, hop, window, int(length))


def pitch_shift(x: torch.Tensor, num: int, den: int, n_fft: int = 1024, hop_length: int | None = None) -> torch.Tensor:
    """Multiply every frequency by `num/den` and keep the length.

    Time-stretches to `ceil(len * num / den)` samples with the phase vocoder
    (pitch kept) and resamples by `den/num` (duration back, pitch times
    `num/den`). The pitch factor is therefore exactly `num/den`; the phase
    vocoder adds no systematic frequency error for stationary partials.

    Args:
        x: a float waveform `(time,)` or `(channels, time)`, longer than `n_fft`.
        num: numerator of the pitch factor.
        den: denominator of the pitch factor.
        n_fft: the STFT size.
        hop_length: the STFT hop (default `n_fft // 4`).

    Returns:
        The shifted waveform, same shape, dtype and device.

    Example:
        >>> pitch_shift(torch.sin(torch.arange(4000) * 0.1), 5, 4, n_fft=512).shape
        torch.Size([4000])
    """
    n = x.shape[-1]
    if num == den:
        return x.clone()
    stretched_len = math.ceil(n * num / den)
    stretched = time_stretch(x, stretched_len, n_fft=n_fft, hop_length=hop_length)
    y = resample(stretched, num, den)
    if y.shape[-1] >= n:
        return y[..., :n].contiguous()
    return F.pad(y, (0, n - y.shape[-1]))


# ---------------------------------------------------------------------------
# Spectrogram masks
# ---------------------------------------------------------------------------
def mask_along(spec: torch.Tensor, regions, axis: int, fill: float | str = 0.0) -> torch.Tensor:
    """Fill ``[start, start + width)`` ranges of ``axis`` (-1 time, -2 freq) with ``fill``.

    ``fill="mean"`` uses the mean of the whole input (computed before masking).

    Args:
        spec: a spectrogram `(..., freq, time)`.
        regions: `(start, width)` pairs on `axis`.
        axis: `-1` (time) or `-2` (frequency).
        fill: a number, or `"mean"`.

    Returns:
        A masked copy (the input is not modified).

    Example:
        >>> s = torch.ones(3, 5)
        >>> mask_along(s, [(1, 2)], axis=-1)
        tensor([[1., 0., 0., 1., 1.],
                [1., 0., 0., 1., 1.],
                [1., 0., 0., 1., 1.]])
    """
    value = spec.mean() if fill == "mean" else float(fill)
    out = spec.clone()
    for start, width in regions:
        if width <= 0:
            continue
        out.narrow(axis, int(start), int(width)).fill_(value)
    return out
