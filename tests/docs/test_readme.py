"""The README: its quickstart runs as written (with a small stand-in for CIFAR), it stays a short front page, and
its links point at files that exist."""

from __future__ import annotations

import re

import torch
from torch import nn

from tests.docs.blocks import ROOT

README = ROOT / "README.md"
MAX_LINES = 250


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
    hook = "loss = criterion(model(images), targets)"
    assert hook in code
    code = code.replace(hook, hook + "; __seen.append((images, targets, loss))")
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


def test_readme_is_a_short_front_page():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_LINES, f"README.md has {len(lines)} lines; move details to docs/ (at most {MAX_LINES})"
    text = "\n".join(lines)
    for heading in (
        "## Two commands",
        "## Install as a package",
        "## Quickstart",
        "## What is in the box",
        "## Where to go next",
    ):
        assert heading in text
    for command in ("make demo", "make test", 'pip install ".[image,audio,text]"'):
        assert command in text


def test_readme_links_point_at_existing_files():
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if not re.match(r"[a-z]+://", link)]
    assert local, "the README links to the docs"
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_install_name_matches_setup_cfg():
    setup = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    name = re.search(r"^name\s*=\s*(\S+)", setup, flags=re.M).group(1)
    assert f"# {name}:" in README.read_text(encoding="utf-8").splitlines()[0]
