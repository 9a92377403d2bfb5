"""The README's quickstart runs as written (with a small stand-in for CIFAR)."""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

README = Path(__file__).resolve().parent.parent / "README.md"


def _quickstart_code() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert match, "README quickstart has no python block"
    return match.group(1)


def test_readme_quickstart_runs_and_yields_soft_targets():
    gen = torch.Generator().manual_seed(0)
    cifar_train = [(torch.rand(3, 32, 32, generator=gen), i % 10) for i in range(256)]
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10))
    seen = []

    class Recorder(nn.Module):
        def forward(self, x):
            return model(x)

    namespace = {"cifar_train": cifar_train, "model": Recorder(), "epochs": 2}
    code = _quickstart_code()
    code = code.replace("loss = criterion(model(images), targets)",
                        "loss = criterion(model(images), targets); __seen.append((images, targets, loss))")
    # CI machines have 2 cores; torch warns (an error here) when asked for more workers than cores.
    code = code.replace("num_workers=4", "num_workers=2")
    namespace["__seen"] = seen
    exec(compile(code, str(README), "exec"), namespace)
    assert len(seen) == 2 * 2  # 2 epochs x 256/128 batches
    for images, targets, loss in seen:
        assert images.shape == (128, 3, 32, 32) and images.dtype == torch.float32
        assert targets.shape == (128, 10) and targets.dtype == torch.float32
        torch.testing.assert_close(targets.sum(1), torch.ones(128))
        assert torch.isfinite(loss)
