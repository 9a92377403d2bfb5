"""The cross-entropy on soft targets, normalised the way ``transformers.Trainer`` expects.

Example:
    >>> import torch
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> hard = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1]))
    >>> soft = soft_target_loss({"logits": logits}, torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    >>> bool(torch.isclose(hard, soft))
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["soft_target_loss"]


def _logits(outputs: Any) -> torch.Tensor:
    if isinstance(outputs, torch.Tensor):
        return outputs
    if isinstance(outputs, Mapping) and "logits" in outputs:
        return outputs["logits"]
    logits = getattr(outputs, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    if isinstance(outputs, (tuple, list)) and outputs and isinstance(outputs[0], torch.Tensor):
        return outputs[0]
    raise TypeError(
        f"soft_target_loss: outputs must be a tensor of logits or a model output with .logits, "
        f"got {type(outputs).__name__}"
    )


def soft_target_loss(outputs: Any, labels: torch.Tensor, num_items_in_batch: Any = None) -> torch.Tensor:
    """Cross-entropy of the logits against soft targets, for ``Trainer(compute_loss_func=...)``.

    The loss is the sum of the per-sample cross-entropies divided by the number of samples:
    those of this batch when ``num_items_in_batch`` is ``None`` (the mean), else the number of
    samples that ``num_items_in_batch`` stands for. ``transformers.Trainer`` passes
    ``labels.ne(-100).sum()`` over all micro-batches of one optimiser step (and over processes
    when it averages across devices), which for ``(B, K)`` soft labels counts ``B * K``
    entries, so the number of samples is ``num_items_in_batch / K``. Trainer does not divide a
    ``compute_loss_func`` loss by the gradient-accumulation steps, so with this normalisation
    two accumulated micro-batches of ``B`` give the gradient of one batch of ``2B``.

    Args:
        outputs: the model output (with ``.logits`` or a ``"logits"`` entry) or the logits
            ``(B, K)``.
        labels: soft targets ``(B, K)`` whose rows sum to 1 (what the mixing collates emit), or
            class indices ``(B,)``.
        num_items_in_batch: ``None`` or Trainer's count (an int or a 0-d tensor) as above.

    Returns:
        A 0-d tensor.

    Raises:
        ValueError: labels whose shape does not match the logits, or a count that is not positive.
        TypeError: outputs without logits.

    Example:
        >>> import torch
        >>> logits = torch.zeros(4, 3)
        >>> labels = torch.full((4, 3), 1 / 3)
        >>> round(float(soft_target_loss(logits, labels)), 4)          # mean over 4 samples: log 3
        1.0986
        >>> round(float(soft_target_loss(logits, labels, num_items_in_batch=24)), 4)  # 8 samples
        0.5493
    """
    logits = _logits(outputs)
    if logits.ndim != 2:
        raise ValueError(f"soft_target_loss: logits must be (batch, classes), got shape {tuple(logits.shape)}")
    logp = torch.log_softmax(logits.float(), dim=-1)
    if labels.ndim == 1 and not labels.is_floating_point():
        if labels.shape[0] != logits.shape[0]:
            raise ValueError(
                f"soft_target_loss: labels {tuple(labels.shape)} do not match logits {tuple(logits.shape)}"
            )
        total = torch.nn.functional.nll_loss(logp, labels.to(logits.device), reduction="sum")
        per_item = 1
    else:
        if labels.shape != logits.shape:
            raise ValueError(
                f"soft_target_loss: soft labels must have the logits' shape {tuple(logits.shape)}, "
                f"got {tuple(labels.shape)}"
            )
        total = -(labels.to(logp.dtype) * logp).sum()
        per_item = logits.shape[1]
    n: Any
    if num_items_in_batch is None:
        n = logits.shape[0]
    else:
        n = num_items_in_batch / per_item
        if isinstance(n, torch.Tensor):
            n = n.to(total.device)
            if bool(n <= 0):
                raise ValueError(f"soft_target_loss: num_items_in_batch must be positive, got {num_items_in_batch}")
        elif n <= 0:
            raise ValueError(f"soft_target_loss: num_items_in_batch must be positive, got {num_items_in_batch}")
    return (total / n).to(logits.dtype)
