"""`loaders.hf.soft_target_loss` against torch's cross-entropy (an independent reference)."""

from __future__ import annotations

import sys

import pytest
import torch

from loaders.hf import soft_target_loss


def _data(b=6, k=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(b, k, generator=g)
    soft = torch.softmax(torch.randn(b, k, generator=g), dim=-1)
    return logits, soft


def test_mean_equals_torch_cross_entropy_on_probabilities():
    logits, soft = _data()
    ref = torch.nn.functional.cross_entropy(logits, soft)
    torch.testing.assert_close(soft_target_loss({"logits": logits}, soft), ref)
    hard = torch.tensor([0, 1, 2, 3, 0, 1])
    torch.testing.assert_close(soft_target_loss(logits, hard), torch.nn.functional.cross_entropy(logits, hard))


def test_num_items_counts_label_entries_as_trainer_passes_them():
    logits, soft = _data(b=6, k=4)
    total = torch.nn.functional.cross_entropy(logits, soft, reduction="sum")
    # Trainer: labels.ne(-100).sum() over two micro-batches of 6 -> 12 samples * 4 entries
    got = soft_target_loss(logits, soft, num_items_in_batch=torch.tensor(48))
    torch.testing.assert_close(got, total / 12)
    hard = torch.tensor([0, 1, 2, 3, 0, 1])
    torch.testing.assert_close(
        soft_target_loss(logits, hard, num_items_in_batch=12),
        torch.nn.functional.cross_entropy(logits, hard, reduction="sum") / 12,
    )


def test_gradient_flows_and_model_outputs_accepted():
    logits, soft = _data()
    logits.requires_grad_(True)

    class Out:
        def __init__(self, t):
            self.logits = t

    soft_target_loss(Out(logits), soft).backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: soft_target_loss(torch.zeros(2, 3), torch.zeros(2, 4)), ValueError, ["shape"]),
        (
            lambda: soft_target_loss(torch.zeros(2, 3), torch.full((2, 3), 1 / 3), num_items_in_batch=0),
            ValueError,
            ["positive"],
        ),
        (lambda: soft_target_loss("logits", torch.zeros(2, 3)), TypeError, ["logits"]),
        (lambda: soft_target_loss(torch.zeros(3), torch.zeros(3)), ValueError, ["batch, classes"]),
    ],
)
def test_bad_inputs(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    assert all(w in str(info.value) for w in words)


def test_import_loaders_hf_stays_light():
    import subprocess

    code = "import sys, loaders.hf; print('transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
