"""Adaptive augmentation: a strength knob that follows the model's progress.

The training loop owns one (or a few) knobs in shared memory; a *policy*
updates them from the signals it needs; every transform and collate reads the
value that was bound to its batch when the batch's indices were dispatched.

Pieces:

- [AdaptiveStrength][loaders.adaptive.AdaptiveStrength] (`loaders.adaptive.knobs`): one knob in
  ``[0, 1]`` in shared memory (built on `loaders.keys.SharedValue`), with ``get()``, ``set()``, ``value`` and
  ``state_dict()``. Pass it to ``AugmentedDataset(..., knobs={"strength": s})``.
- `AdaptiveKnobs`: a small named set of knobs driven by one master value
  with a scale per name, e.g. ``{"strength": 1.0, "mix_strength": 0.5}``. It is a
  mapping ``name -> AdaptiveStrength``, so it can be passed as ``knobs=`` as is.
- Policies (`loaders.adaptive.policies`), each with ``step(...)`` taking exactly the signals it needs and
  ``state_dict()``/``load_state_dict()``: `OverfitPolicy`
  (StyleGAN2-ADA), `ScheduleByEpoch` / `ScheduleByStep`
  (linear/cosine ramps, off for the last N), `PlateauPolicy`.
- Observability (`loaders.adaptive.observe`): `WithKnobs` (a collate wrapper that returns the knob
  values each batch was built with) and `KnobRecorder` (a batch-sampler
  wrapper that records the values bound at dispatch, in the main process).
- `loaders.adaptive.mapping`: `StrengthRange` (a transform wrapper that remaps the knob for one
  transform, e.g. keep flips at full strength) and `describe_strength`.

Clipping rule (documented contract):

- ``AdaptiveStrength.set(v)`` *refuses* values outside ``[0, 1]`` (and NaN,
  inf, bools) with ``ValueError``/``TypeError``: a value set by hand that is out
  of range is a bug in the caller.
- Policies *clip*: the value a policy computes is clipped to
  ``[min_strength, max_strength]`` (default ``[0, 1]``) before it is written, as
  StyleGAN2-ADA clamps ``p`` at 0. Their state records the clipped value.
- ``AdaptiveKnobs.set(v)`` refuses ``v`` outside ``[0, 1]`` and clips each
  scaled value ``v * scale`` to ``[0, 1]``.

How strength maps to each transform (declared by the transform, see
`loaders.Transform`): ``strength_mode`` is one of

| `strength_mode` | probability of applying | magnitude |
|---|---|---|
| `"p"` | `p * s` (the default) | as configured |
| `"magnitude"` | `p` | scaled by `s` (0 = identity, 1 = as configured) |
| `"both"` | `p * s` | scaled by `s` |
| `"none"` | `p` | as configured (strength ignored) |

``transform.effective_p(s)`` gives the probability; containers (``Compose``,
``RandomApply``, ``OneOf``) do not scale their own ``p`` and pass ``s`` on to
their children. Mixing collates (``collate.MixUp`` and friends) mix with
probability ``p * s`` where ``s`` is the batch's ``"mix_strength"`` knob, else
its ``"strength"`` knob, else 1.0.

Determinism: with `loaders.KeyedBatchSampler` the knob values are read in
the main process when a batch's indices are dispatched and travel with the
batch (``KeyedBatch.knobs``), and a resume from ``ds.loader(stateful=True)`` binds the saved
values to the batches that were already dispatched. The DataLoader dispatches ``prefetch_factor *
num_workers`` batches ahead, so an update made after consuming batch ``i`` of an
epoch applies from batch ``i + prefetch_factor * num_workers + 1`` on, and an
update made between epochs applies to the whole next epoch: the same training
trajectory gives the same applied strengths, whatever the worker timing.

Example:
    >>> s = AdaptiveStrength(0.0)
    >>> policy = OverfitPolicy.for_classifier(s, target=0.05, ada_kimg=1.0)
    >>> policy.step(train_acc=1.0, val_acc=0.8, num_samples=100)  # gap 0.2 > 0.05: up by 100/1000
    0.1
    >>> s.get()
    0.1
    >>> s2 = AdaptiveStrength(0.0)
    >>> OverfitPolicy.for_classifier(s2, target=0.05, ada_kimg=1.0).load_state_dict(policy.state_dict())
    >>> s2.get()
    0.1
"""

from __future__ import annotations

from .knobs import AdaptiveKnobs, AdaptiveStrength, clip_strength
from .mapping import StrengthRange, describe_strength
from .observe import KnobRecorder, WithKnobs
from .policies import MissingSignalError, OverfitPolicy, PlateauPolicy, ScheduleByEpoch, ScheduleByStep

__all__ = [
    "AdaptiveStrength",
    "AdaptiveKnobs",
    "MissingSignalError",
    "OverfitPolicy",
    "ScheduleByEpoch",
    "ScheduleByStep",
    "PlateauPolicy",
    "WithKnobs",
    "KnobRecorder",
    "StrengthRange",
    "describe_strength",
    "clip_strength",
]
