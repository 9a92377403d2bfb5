"""A small training-shaped run for the exact-resume tests: build, iterate, save, resume.

Used in the test process (the uninterrupted reference and the run that saves) and, as
``python -m tests.loaders.dataset.resume_run SPEC.json``, in a fresh process that resumes.
With ``moving=True`` the knob is driven by a schedule stepped after every consumed batch, so
the values bound at dispatch (ahead of consumption, with workers) are part of what must resume
exactly; otherwise it stays put (streams read knobs in the worker, and a resume with another
``num_workers`` dispatches at other times).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
import torch

from collate import MixUp
from loaders import AugmentedDataset, AugmentedIterableDataset, Transform
from loaders.adaptive import AdaptiveStrength, ScheduleByStep

N, BATCH, CLASSES = 40, 4, 5


class Jitter(Transform):
    """Adds keyed noise scaled by the strength knob (magnitude mode)."""

    strength_mode = "magnitude"

    def _sample(self, rng, strength):
        return {"noise": (rng.standard_normal(6) * strength).tolist()}

    def _apply(self, x, params):
        return x + torch.tensor(params["noise"], dtype=x.dtype)


def _base() -> list[tuple[torch.Tensor, int]]:
    g = torch.Generator().manual_seed(7)
    return [(torch.rand(6, generator=g), i % CLASSES) for i in range(N)]


def build(kind: str, num_workers: int, persistent: bool):
    """The loader, its knob and the knob's policy."""
    knob = AdaptiveStrength(0.5)
    policy = ScheduleByStep(knob, steps=50, start=0.2, end=1.0)
    kwargs: dict[str, Any] = {"num_workers": num_workers, "collate_fn": MixUp(CLASSES, p=1.0, seed=3)}
    if num_workers:
        kwargs.update(persistent_workers=persistent, multiprocessing_context="fork")
    if kind == "map":
        ds = AugmentedDataset(_base(), Jitter(), seed=11, knobs={"strength": knob})
        loader = ds.loader(batch_size=BATCH, shuffle=True, stateful=True, **kwargs)
    else:
        ds = AugmentedIterableDataset(_base(), Jitter(), seed=11, knobs={"strength": knob}, batch_size=BATCH)
        loader = ds.loader(stateful=True, **kwargs)
    return ds, loader, knob, policy


def consume(loader, policy, steps: list[int], limit: int | None = None) -> list[list[float]]:
    """Take batches (at most ``limit``); step the policy (if any) after each; return them as nested lists."""
    out = []
    for batch in loader:
        x, y = batch
        out.append(torch.cat([x.flatten(), y.flatten()]).tolist())
        steps[0] += 1
        if policy is not None:
            policy.step(iteration=steps[0])
        if limit is not None and len(out) == limit:
            break
    return out


def reference(kind: str, num_workers: int, persistent: bool, moving: bool, epoch: int) -> list[list[float]]:
    """Epochs ``epoch`` and ``epoch + 1`` uninterrupted."""
    ds, loader, _, policy = build(kind, num_workers, persistent)
    policy = policy if moving else None
    steps = [0]
    ds.set_epoch(epoch)
    out = consume(loader, policy, steps)
    ds.set_epoch(epoch + 1)
    return out + consume(loader, policy, steps)


def save(
    kind: str, num_workers: int, persistent: bool, moving: bool, epoch: int, k: int, path: str
) -> list[list[float]]:
    """Take ``k`` batches of ``epoch``, then save the loader, the policy and the step count."""
    ds, loader, _, policy = build(kind, num_workers, persistent)
    policy = policy if moving else None
    steps = [0]
    ds.set_epoch(epoch)
    out = consume(loader, policy, steps, limit=k)
    state = {"loader": loader.state_dict(), "steps": steps[0]}
    if policy is not None:
        state["policy"] = policy.state_dict()
    torch.save(state, path)
    return out


def resume(kind: str, num_workers: int, persistent: bool, moving: bool, epoch: int, path: str) -> list[list[float]]:
    """Load the state (weights_only) and take the rest of ``epoch`` and all of ``epoch + 1``."""
    ds, loader, _, policy = build(kind, num_workers, persistent)
    policy = policy if moving else None
    state = torch.load(path, weights_only=True)
    loader.load_state_dict(state["loader"])
    if policy is not None:
        policy.load_state_dict(state["policy"])
    steps = [state["steps"]]
    out = consume(loader, policy, steps)  # no set_epoch at the resume point
    ds.set_epoch(epoch + 1)
    return out + consume(loader, policy, steps)


def main(spec_path: str) -> None:
    """Run every resume of the spec file in this process and write the batches next to it."""
    with open(spec_path) as f:
        spec = json.load(f)
    results = [resume(**job) for job in spec["jobs"]]
    with open(spec["out"], "w") as f:
        json.dump(results, f)
    np.testing.assert_equal(len(results), len(spec["jobs"]))


if __name__ == "__main__":
    main(sys.argv[1])
