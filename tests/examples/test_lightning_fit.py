"""Lightning 2.6 `Trainer.fit` on CPU with `ds.loader(...)` + `MixUpOrCutMix`, one process and two (ddp_spawn, gloo).

Runs `examples/lightning_fit.py` once in a subprocess (both fits share one interpreter) and
checks its per-rank records: every epoch gets a fresh shuffle and fresh augmentation with no
user hook, Lightning's `DistributedSampler` injection neither crashes nor drops the shuffle,
the ranks see disjoint samples covering the dataset, and every augmented sample equals what
one process draws for that epoch and index.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest
import torch

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_PATH = os.path.join(_REPO, "examples", "lightning_fit.py")
EPOCHS = 3

pytest.importorskip("lightning")


def _example():
    spec = importlib.util.spec_from_file_location("examples_lightning_fit", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    out = tmp_path_factory.mktemp("lightning")
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run(
        [sys.executable, _PATH, "--devices", "1", "2", "--epochs", str(EPOCHS), "--record", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=_REPO,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {n: [torch.load(out / f"devices{n}" / f"rank{r}.pt", weights_only=True) for r in range(n)] for n in (1, 2)}


def _by_epoch(log):
    out = {}
    for rec in log:
        out.setdefault(rec["epoch"], []).append(rec)
    return out


def _check_against_one_process(log):
    ref = _example().make_dataset()
    for rec in log:
        ref.set_epoch(rec["epoch"])
        expected = torch.stack([ref[i][0] for i in rec["indices"]])
        assert torch.equal(rec["images"], expected), (rec["epoch"], rec["indices"])


def test_one_process_fresh_shuffle_and_augmentation_every_epoch(records):
    (log,) = records[1]
    epochs = _by_epoch(log)
    assert sorted(epochs) == list(range(EPOCHS))
    orders = [sum((r["indices"] for r in epochs[e]), []) for e in range(EPOCHS)]
    assert all(sorted(o) == list(range(32)) for o in orders)
    assert len({tuple(o) for o in orders}) == EPOCHS  # a fresh shuffle each epoch
    assert orders[0] != list(range(32))
    _check_against_one_process(log)
    # fresh augmentation: the same index looks different in different epochs
    first = {
        e: dict(
            zip(sum((r["indices"] for r in epochs[e]), []), torch.cat([r["images"] for r in epochs[e]]), strict=True)
        )
        for e in range(EPOCHS)
    }
    assert not torch.equal(first[0][0], first[1][0])


def test_two_processes_disjoint_shuffled_and_keyed(records):
    logs = records[2]
    per_rank = [_by_epoch(log) for log in logs]
    orders = []
    for e in range(EPOCHS):
        seen = [sum((r["indices"] for r in per_rank[k][e]), []) for k in range(2)]
        assert not set(seen[0]) & set(seen[1])  # disjoint ranks
        assert sorted(seen[0] + seen[1]) == list(range(32))
        orders.append(tuple(seen[0]))
    assert len(set(orders)) == EPOCHS  # Lightning's injected sampler kept the shuffle, fresh each epoch
    for log in logs:
        _check_against_one_process(log)
