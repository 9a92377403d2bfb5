"""Exact resume: `ds.loader(..., stateful=True)` state saved after k batches resumes bit-identically in a new process.

The reference and the saving runs happen here; every resume runs in one fresh interpreter
(`tests/loaders/dataset/resume_run.py`), which reads the states with
``torch.load(weights_only=True)`` and does not call ``set_epoch`` at the resume point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from loaders import AugmentedDataset, AugmentedIterableDataset, Lambda, Transform
from tests.loaders.dataset import resume_run as rr

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
EPOCH, K = 1, 3

# (kind, workers when saving, workers when resuming, persistent, moving knob)
CONFIGS = [
    ("map", 0, 0, False, True),
    ("map", 2, 2, False, True),
    ("map", 2, 2, True, True),
    ("map", 2, 0, False, False),
    ("map", 0, 2, True, False),
    ("iter", 0, 0, False, False),
    ("iter", 2, 2, True, False),
    ("iter", 2, 0, False, False),
]


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """Save every configuration here, resume them all in one new process."""
    tmp = tmp_path_factory.mktemp("resume")
    jobs, expected = [], []
    for i, (kind, w_save, w_resume, persistent, moving) in enumerate(CONFIGS):
        path = str(tmp / f"state{i}.pt")
        ref = rr.reference(kind, w_save, persistent, moving, EPOCH)
        head = rr.save(kind, w_save, persistent, moving, EPOCH, K, path)
        assert head == ref[:K]
        jobs.append(dict(kind=kind, num_workers=w_resume, persistent=persistent, moving=moving, epoch=EPOCH, path=path))
        expected.append(ref[K:])
    spec = tmp / "spec.json"
    out = tmp / "out.json"
    spec.write_text(json.dumps({"jobs": jobs, "out": str(out)}))
    proc = subprocess.run(
        [sys.executable, "-m", "tests.loaders.dataset.resume_run", str(spec)],
        cwd=_REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return expected, json.loads(out.read_text())


@pytest.mark.parametrize(
    "i",
    range(len(CONFIGS)),
    ids=[f"{c[0]}-w{c[1]}to{c[2]}{'-persistent' if c[3] else ''}{'-knob' if c[4] else ''}" for c in CONFIGS],
)
def test_resume_in_new_process_is_bit_identical(resumed, i):
    expected, got = resumed
    assert len(got[i]) == len(expected[i]) > 0
    assert got[i] == expected[i]  # the rest of epoch e and all of epoch e+1


def test_state_is_plain_data_and_loads_weights_only(tmp_path):
    ds, loader, _, _ = rr.build("map", 0, False)
    it = iter(loader)
    next(it)
    state = loader.state_dict()
    path = tmp_path / "s.pt"
    torch.save(state, path)
    assert torch.load(path, weights_only=True) == state
    assert state["batch_sampler"]["position"] == 1 and state["dataset"]["epoch"] == 0


def test_without_state_the_resume_would_differ():
    """The check above can fail: a fresh loader without the state starts epoch 0 from the beginning."""
    ref = rr.reference("map", 0, False, False, EPOCH)
    _, loader, _, _ = rr.build("map", 0, False)
    assert rr.consume(loader, None, [0])[: len(ref) - K] != ref[K:]


class Count(Transform):
    """Counts its applications in this process (num_workers=0 only)."""

    calls: list[int] = []

    def _apply(self, x, params):
        Count.calls.append(x)
        return x


def test_iterable_resume_skips_seen_items_without_augmenting():
    Count.calls.clear()
    ds = AugmentedIterableDataset(list(range(20)), Count(), seed=0, batch_size=4)
    it = iter(ds)
    next(it), next(it)
    state = ds.state_dict()
    assert state["position"] == 2
    fresh = AugmentedIterableDataset(list(range(20)), Count(), seed=0, batch_size=4)
    fresh.load_state_dict(state)
    Count.calls.clear()
    rest = [list(b) for b in fresh]
    assert rest == [[8, 9, 10, 11], [12, 13, 14, 15], [16, 17, 18, 19]]
    assert Count.calls == list(range(8, 20))  # items 0..7 were never augmented


class Probe(list):
    """A list that records which positions were read."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read = []

    def __getitem__(self, i):
        self.read.append(i)
        return super().__getitem__(i)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def test_seekable_source_jumps_to_the_position():
    src = Probe(range(12))
    ds = AugmentedIterableDataset(src, seed=0)
    ds.load_state_dict({"seed": 0, "epoch": 0, "position": 9})
    assert list(ds) == [9, 10, 11] and src.read == [9, 10, 11]


def test_map_resume_keeps_the_shuffle_generator_state():
    def loader():
        g = torch.Generator().manual_seed(5)
        return AugmentedDataset(list(range(10)), Lambda(abs), seed=0).loader(
            batch_size=3, generator=g, shuffle=True, stateful=True
        )

    a = loader()
    it = iter(a)
    next(it)
    state = a.state_dict()
    rest = [b.tolist() for b in it]
    b = loader()
    next(iter(b))  # advances b's generator: the state must restore the pass's start
    b.load_state_dict(state)
    assert [x.tolist() for x in b] == rest


def test_load_state_dict_refuses_other_seeds_and_formats():
    ds = AugmentedDataset([1, 2], seed=0)
    with pytest.raises(ValueError, match="seed=1"):
        ds.load_state_dict({"seed": 1, "epoch": 0})
    loader = ds.loader(stateful=True)
    with pytest.raises(ValueError, match="format"):
        loader.load_state_dict({"format": "torchdata", "dataset": {}})
    with pytest.raises(ValueError, match="missing"):
        loader.batch_sampler.load_state_dict({"epoch": 0})
