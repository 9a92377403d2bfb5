"""examples/demo.py: the quick run writes a complete JSON and the pictures; the metrics match independent references.

The demo's accuracy values are never checked here (they are what the demo reports, not a contract).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CONFIGS = ["none", "cutout", "mix", "both", "adaptive"]


@pytest.fixture(scope="module")
def demo():
    """The demo module (examples/ on sys.path, as when the script runs)."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield importlib.import_module("demo")
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    env = dict(os.environ, MPLBACKEND="Agg", NO_ALBUMENTATIONS_UPDATE="1")
    proc = subprocess.run(
        # -W error: the demo itself must run without warnings, like the test suite
        [sys.executable, "-W", "error", str(EXAMPLES / "demo.py"), "--quick", "--out", str(out)],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc.stdout, json.loads((out / "demo_results.json").read_text())


def test_quick_run_json_structure(quick_run):
    _, _, res = quick_run
    assert [c["name"] for c in res["configurations"]] == CONFIGS
    assert res["seeds"] == [0, 1]
    sizes = [s["labelled"] for s in res["sizes"]]
    assert sizes == [100, res["pool_images"]]
    for s in res["sizes"]:
        assert s["train_images"] + s["val_images"] == s["labelled"]
        # a fixed number of epochs: the steps grow with the training set (full batches only)
        assert s["steps"] == res["epochs"] * (s["train_images"] // res["batch_size"])
    assert "validation" in res["settings_chosen_on"] and "test split was never used" in res["settings_chosen_on"]
    assert math.isfinite(res["cpu_seconds"]) and res["cpu_seconds"] > 0
    # one run per (size, configuration, seed), each with finite metrics in range
    keys = sorted((r["labelled"], r["config"], r["seed"]) for r in res["runs"])
    assert keys == sorted((n, c, s) for n in sizes for c in CONFIGS for s in res["seeds"])
    for r in res["runs"]:
        for metric in ("test_accuracy", "ece", "val_accuracy"):
            assert math.isfinite(r[metric]) and 0.0 <= r[metric] <= 1.0, r
        if r["config"] == "adaptive":
            assert len(r["applied_strength"]) == r["steps"]
            assert all(0.0 <= v <= 1.0 for v in r["applied_strength"])
            assert r["trace"], "the policy must have stepped on the validation split"
        else:
            assert r["applied_strength"] is None
    # the summary: mean and sd per configuration and size, a verdict for every difference to "none"
    assert sorted((row["config"], row["labelled"]) for row in res["summary"]) == sorted(
        (c, n) for c in CONFIGS for n in sizes
    )
    for row in res["summary"]:
        for metric in ("test_accuracy", "ece"):
            m = row[metric]
            assert math.isfinite(m["mean"]) and math.isfinite(m["sd"]) and m["sd"] >= 0
            assert len(m["values"]) == len(res["seeds"])
            if row["config"] != "none":
                assert isinstance(m["within_spread"], bool) and math.isfinite(m["delta_vs_none"])
    verdict = res["adaptive_verdict"]
    assert verdict["labelled"] == 100 and isinstance(verdict["beats_both"], bool)
    assert set(verdict["comparisons"]) == {"none", "both"}
    assert [v["labelled"] for v in res["adaptive_verdicts"]] == sizes[:-1]  # every size but the largest


def test_quick_run_prints_tables_and_writes_pictures(quick_run):
    out, stdout, res = quick_run
    assert "test accuracy" in stdout and "ECE" in stdout and "mean ± sd over 2 seeds" in stdout
    assert "within spread" in stdout  # says plainly what the seeds cannot separate
    assert res["adaptive_verdict"]["text"] in stdout
    assert set(res["figures"]) == {"accuracy", "reliability", "samples"}
    for name in ("demo_accuracy.png", "demo_reliability.png", "demo_samples.png"):
        png = out / name
        assert str(png.resolve()) in stdout  # the script says where the pictures are
        with Image.open(png) as im:
            assert im.format == "PNG" and im.size[0] >= 600 and im.size[1] >= 350
            assert len(set(im.convert("L").tobytes())) > 20  # not a blank canvas
        assert png.stat().st_size < 200_000  # small enough for the docs gallery


def _ece_reference(probs: np.ndarray, labels: np.ndarray, n_bins: int) -> float:
    """ECE written independently: np.digitize on the right-closed bin edges, then the weighted gaps."""
    conf = probs.max(1)
    correct = (probs.argmax(1) == labels).astype(float)
    which = np.digitize(conf, np.linspace(0, 1, n_bins + 1)[1:-1], right=True)  # (lo, hi] bins
    total = 0.0
    for b in range(n_bins):
        sel = which == b
        if sel.any():
            total += sel.sum() / len(conf) * abs(correct[sel].mean() - conf[sel].mean())
    return float(total)


def test_ece_matches_a_hand_computed_value(demo):
    import _digits

    # both predictions have confidence 0.9 (one bin), one is right: |0.5 - 0.9| = 0.4
    probs = torch.full((2, 10), 0.1 / 9)
    probs[:, 0] = 0.9
    assert _digits.expected_calibration_error(probs, torch.tensor([0, 1])) == pytest.approx(0.4)
    # confidence 0.6 right, 1.0 right: bins (8/15, 9/15] and (14/15, 1]: 0.5 * 0.4 + 0.5 * 0 = 0.2
    probs = torch.tensor([[0.6, 0.4] + [0.0] * 8, [1.0] + [0.0] * 9])
    assert _digits.expected_calibration_error(probs, torch.tensor([0, 0])) == pytest.approx(0.2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ece_and_reliability_bins_match_an_independent_reference(demo, seed):
    import _digits

    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(500, 10)) * rng.uniform(0.5, 4.0)
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    probs[:20] = np.eye(10)[rng.integers(0, 10, 20)]  # confidence exactly 1.0: the last bin
    labels = rng.integers(0, 10, 500)
    pt, lt = torch.from_numpy(probs), torch.from_numpy(labels)
    ece = _digits.expected_calibration_error(pt, lt)
    assert ece == pytest.approx(_ece_reference(probs, labels, 15), abs=1e-12)
    bins = _digits.reliability_bins(pt, lt)
    assert sum(bins["count"]) == 500
    rebuilt = sum(
        n / 500 * abs(a - c) for n, a, c in zip(bins["count"], bins["accuracy"], bins["confidence"], strict=True) if n
    )
    assert rebuilt == pytest.approx(ece, abs=1e-12)


def _fake_runs(values: dict[str, list[float]], size: int = 100):
    return [
        {
            "config": c,
            "seed": s,
            "labelled": size,
            "train_images": 80,
            "val_images": 20,
            "test_accuracy": v,
            "ece": 0.1,
            "mean_strength": 0.5,
            "final_strength": 0.5,
        }
        for c, vs in values.items()
        for s, v in enumerate(vs)
    ]


def test_summary_calls_a_difference_within_spread_only_when_the_seeds_overlap(demo):
    values = {
        "none": [0.90, 0.92, 0.94],
        "cutout": [0.91, 0.93, 0.95],  # +1 pt, sd 2 pts: within spread
        "mix": [0.96, 0.965, 0.97],
        "both": [0.80, 0.81, 0.82],
        "adaptive": [0.90, 0.92, 0.94],
    }
    summary = demo.summarize(_fake_runs(values), list(values), [100], [0, 1, 2])
    acc = {row["config"]: row["test_accuracy"] for row in summary}
    assert acc["none"]["mean"] == pytest.approx(0.92) and acc["none"]["sd"] == pytest.approx(0.02)
    assert acc["cutout"]["within_spread"] and acc["cutout"]["seeds_higher_than_none"] == 3
    assert not acc["mix"]["within_spread"] and acc["mix"]["delta_vs_none"] == pytest.approx(0.045)
    assert not acc["both"]["within_spread"] and acc["both"]["seeds_lower_than_none"] == 3
    verdict = demo.adaptive_verdict(summary, 100, 0.05)
    assert verdict["beats_both"] is False and "does not beat" in verdict["text"] and "Why:" in verdict["text"]


def test_splits_are_stratified_disjoint_and_never_touch_the_test_split(demo):
    import _digits

    labels = _digits.load_digits_all().labels.numpy()
    pool, test = _digits.pool_and_test_indices(labels)
    assert len(test) == 360 and len(pool) == 1437
    assert set(pool).isdisjoint(test) and set(pool) | set(test) == set(range(1797))
    assert np.array_equal(_digits.pool_and_test_indices(labels)[1], test)  # the test split is fixed
    pool_labels = labels[pool]
    for size, seed in ((100, 0), (300, 1), (1437, 2)):
        tr, va = _digits.labelled_indices(pool_labels, size, seed)
        assert len(tr) + len(va) == size and len(va) == math.ceil(0.2 * size)
        assert set(tr).isdisjoint(va) and max(np.max(tr), np.max(va)) < len(pool)
        assert np.bincount(pool_labels[va], minlength=10).min() >= 1  # stratified: every class in validation
    a, _ = _digits.labelled_indices(pool_labels, 300, 0)
    b, _ = _digits.labelled_indices(pool_labels, 300, 1)
    assert not np.array_equal(a, b)  # the seed draws the images
    with pytest.raises(ValueError, match="labelled"):
        _digits.labelled_indices(pool_labels, 2000, 0)


def test_fixed_configurations_give_the_same_numbers_with_dataloader_workers(demo):
    """The demo's docstring promises it: per-sample draws are keyed, the collate's are keyed on the batch."""
    import _digits

    pool, test = _digits.load_digits_split()
    train, val = _digits.labelled_split(pool, 100, seed=0)
    both = next(c for c in _digits.CONFIGS if c.name == "both")
    runs = [_digits.train_run(both, train, val, test, seed=0, steps=4, workers=w) for w in (0, 2)]
    assert torch.equal(runs[0]["probs"], runs[1]["probs"])


def test_select_reads_only_the_validation_split(demo, monkeypatch, capsys):
    """`--select` (settings chosen on validation) runs on its own seeds and never prints a test metric."""
    assert set(demo.SELECT_SEEDS).isdisjoint(range(5))  # the demo's seeds 0..4
    rows = [demo.SELECT_GRID[1], demo.SELECT_GRID[-1]]  # "cnn none" and "cnn-bn both", 1 epoch each
    monkeypatch.setattr(demo, "SELECT_GRID", [(label, kind, name, 1, c, m) for label, kind, name, _, c, m in rows])
    threads = torch.get_num_threads()
    try:
        assert demo.main(["--select", "--seeds", "2", "--jobs", "1"]) == 0
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert "VALIDATION split only" in out and "test split is never read" in out
    assert "test accuracy" not in out and "ECE" not in out
    for label, *_ in demo.SELECT_GRID:
        assert label in out
    r = demo._select_one((0, 100), {"threads": 1, "batch_size": 32})
    assert set(r) == {"label", "seed", "val_accuracy"}  # the test metrics are dropped unread


def test_networks_and_the_epoch_budget(demo):
    import _digits

    x = torch.zeros(2, 1, 8, 8)
    for kind in ("cnn", "cnn-bn"):
        assert _digits.make_model(kind)(x).shape == (2, 10)
    with pytest.raises(ValueError, match="cnn-bn"):
        _digits.make_model("resnet")
    pool, test = _digits.load_digits_split()
    train, val = _digits.labelled_split(pool, 100, seed=0)
    none = next(c for c in _digits.CONFIGS if c.name == "none")
    r = _digits.train_run(none, train, val, test, seed=0, epochs=2, batch_size=32)
    assert r["steps"] == 2 * (len(train) // 32) and r["epochs"] == 2
    for steps, epochs in ((None, None), (4, 2)):
        with pytest.raises(ValueError, match="exactly one of steps and epochs"):
            _digits.train_run(none, train, val, test, seed=0, steps=steps, epochs=epochs)


def test_sample_grid_outlines_the_cutout_holes_and_the_cutmix_boxes(demo):
    """The figure's outlines sit where the draws changed the pixels: zeros in the holes, the partner in the box."""
    import _digits

    pool, _ = _digits.load_digits_split()
    train, _ = _digits.labelled_split(pool, 100, seed=0)
    grid = demo.sample_grid(train, seed=0)
    original, cut, _, cutmix = grid["images"]
    assert all(not boxes for boxes in grid["outlines"][0] + grid["outlines"][2])  # nothing to outline there
    assert all(grid["outlines"][1])  # Cutout with p=1: every image has a hole
    for c, boxes in enumerate(grid["outlines"][1]):
        outside = torch.ones(original[c].shape, dtype=torch.bool)
        for y0, y1, x0, x1 in boxes:
            assert 0 <= y0 < y1 <= 8 and 0 <= x0 < x1 <= 8
            assert (cut[c][..., y0:y1, x0:x1] == 0).all()  # the fill
            outside[..., y0:y1, x0:x1] = False
        assert torch.equal(cut[c][outside], original[c][outside])  # and nothing else changed
    assert any(grid["outlines"][3])
    for c, boxes in enumerate(grid["outlines"][3]):
        j = grid["cutmix_partners"][c]
        outside = torch.ones(original[c].shape, dtype=torch.bool)
        for y0, y1, x0, x1 in boxes:
            assert torch.equal(cutmix[c][..., y0:y1, x0:x1], original[j][..., y0:y1, x0:x1])
            outside[..., y0:y1, x0:x1] = False
        assert torch.equal(cutmix[c][outside], original[c][outside])
