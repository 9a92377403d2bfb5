"""`loaders.hf.MixingTrainer` with a tiny ViT (from a ViTConfig, no download) on an in-memory `datasets.Dataset`."""

from __future__ import annotations

import importlib.util
import os

import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("accelerate")

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_PATH = os.path.join(_REPO, "examples", "hf_trainer.py")


@pytest.fixture(scope="module")
def ex():
    spec = importlib.util.spec_from_file_location("examples_hf_trainer", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_trains_single_label_and_evaluates_unmixed(ex, tmp_path):
    model = ex.tiny_vit()
    before = [p.detach().clone() for p in model.parameters()]
    evaluation = ex.make_split(24, 1)
    trainer = ex.make_trainer(model, ex.make_split(32, 0), evaluation, str(tmp_path), epochs=2)
    seen = []
    inner = trainer.data_collator

    def recording(batch):  # the collate still receives the KeyedBatch (not a plain list)
        seen.append((type(batch).__name__, batch.epoch))
        return inner(batch)

    trainer.data_collator = recording
    result = trainer.train()
    trainer.data_collator = inner
    assert result.global_step == 8 and torch.isfinite(torch.tensor(result.training_loss))
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert model.config.problem_type != "multi_label_classification"
    assert {name for name, _ in seen} == {"KeyedBatch"} and {e for _, e in seen} == {0, 1}
    first, second = trainer.evaluate()["eval_loss"], trainer.evaluate()["eval_loss"]
    assert first == second
    raw = evaluation[:]
    with torch.no_grad():
        ce = torch.nn.functional.cross_entropy(model(pixel_values=raw["pixel_values"]).logits, raw["label"])
    assert first == pytest.approx(ce.item(), rel=1e-5)
    predictions = trainer.predict(evaluation)
    assert predictions.predictions.shape == (24, ex.NUM_CLASSES)


def test_evaluation_unmixed_with_persistent_workers(ex, tmp_path):
    model = ex.tiny_vit()
    evaluation = ex.make_split(16, 1)
    trainer = ex.make_trainer(
        model,
        ex.make_split(16, 0),
        evaluation,
        str(tmp_path),
        epochs=1,
        dataloader_num_workers=2,
        dataloader_persistent_workers=True,
    )
    trainer.train()
    first, second = trainer.evaluate()["eval_loss"], trainer.evaluate()["eval_loss"]
    raw = evaluation[:]
    with torch.no_grad():
        ce = torch.nn.functional.cross_entropy(model(pixel_values=raw["pixel_values"]).logits, raw["label"])
    assert first == second == pytest.approx(ce.item(), rel=1e-5)
    assert trainer.data_collator.mixing  # the training collate still mixes


def _one_step(ex, tmp_path, batch_size, accumulation):
    model = ex.tiny_vit(seed=1)
    sgd = torch.optim.SGD(model.parameters(), lr=0.5)
    trainer = ex.make_trainer(
        model,
        ex.make_split(16, 0),
        None,
        str(tmp_path),
        batch_size=batch_size,
        accumulation=accumulation,
        max_steps=1,
        p=0.0,
        optimizers=(sgd, None),
        max_grad_norm=0.0,
    )  # no clipping: the step is linear in the gradient
    trainer.train()
    return [p.detach().clone() for p in model.parameters()]


def test_gradient_accumulation_two_equals_one_batch_of_twice_the_size(ex, tmp_path):
    accumulated = _one_step(ex, tmp_path / "a", batch_size=4, accumulation=2)
    single = _one_step(ex, tmp_path / "b", batch_size=8, accumulation=1)
    start = [p.detach() for p in ex.tiny_vit(seed=1).parameters()]
    assert any(not torch.allclose(a, s) for a, s in zip(single, start, strict=True))  # the step moved the weights
    for a, b in zip(accumulated, single, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
