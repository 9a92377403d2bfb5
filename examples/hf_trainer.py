"""Hugging Face `Trainer` with keyed augmentation and MixUp/CutMix: `loaders.hf.MixingTrainer`.

A tiny `ViTForImageClassification` built from a `ViTConfig` (no download) trains on an
in-memory `datasets.Dataset` with a `label` column:

- per-sample `Cutout` in an `AugmentedDataset` (keyed on seed, epoch and index; fresh each epoch),
- `MixUpOrCutMix` as the `data_collator` (soft targets, keyed on the batch),
- `MixingTrainer`: the loss is `loaders.hf.soft_target_loss` (the model never sees float labels,
  so `config.problem_type` stays single-label), `label` reaches the model as `labels`, and
  evaluation runs through the same collate with mixing switched off, so two `evaluate()` calls
  give the same loss: the cross-entropy on the raw evaluation set.

Run: `python examples/hf_trainer.py` (CPU, a few seconds after the imports).
"""

from __future__ import annotations

import argparse
import tempfile
from typing import Any

import datasets
import torch
from transformers import TrainingArguments, ViTConfig, ViTForImageClassification

from collate import MixUpOrCutMix
from loaders import AugmentedDataset
from loaders.hf import MixingTrainer
from loaders.image import Cutout

NUM_CLASSES = 3


def make_split(n: int, seed: int) -> datasets.Dataset:
    """``n`` random 3x8x8 images with a ``label`` column, as an in-memory ``datasets.Dataset``."""
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 3, 8, 8, generator=g)
    labels = (torch.arange(n) % NUM_CLASSES).tolist()
    return datasets.Dataset.from_dict({"pixel_values": images.numpy(), "label": labels}).with_format("torch")


def tiny_vit(seed: int = 0) -> ViTForImageClassification:
    """A one-layer ViT for 8x8 images (no dropout, so runs compare exactly)."""
    config = ViTConfig(
        image_size=8,
        patch_size=4,
        num_channels=3,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=NUM_CLASSES,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(seed)
    return ViTForImageClassification(config)


def make_trainer(
    model: ViTForImageClassification,
    train: datasets.Dataset,
    evaluation: datasets.Dataset | None,
    out_dir: str,
    *,
    batch_size: int = 8,
    epochs: float = 2,
    max_steps: int = -1,
    accumulation: int = 1,
    p: float = 1.0,
    optimizers: tuple = (None, None),
    max_grad_norm: float = 1.0,
    **training_args: Any,
) -> MixingTrainer:
    """A MixingTrainer with Cutout in the dataset and MixUpOrCutMix as the collate."""
    args = TrainingArguments(
        output_dir=out_dir,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=8,
        gradient_accumulation_steps=accumulation,
        num_train_epochs=epochs,
        max_steps=max_steps,
        report_to=[],
        save_strategy="no",
        logging_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        max_grad_norm=max_grad_norm,
        **training_args,
    )
    return MixingTrainer(
        model=model,
        args=args,
        train_dataset=AugmentedDataset(train, Cutout(size=0.25, p=1.0), seed=0, input_key="pixel_values"),
        eval_dataset=evaluation,
        data_collator=MixUpOrCutMix(num_classes=NUM_CLASSES, p=p, input_key="pixel_values", target_key="label", seed=0),
        optimizers=optimizers,
    )


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    model = tiny_vit()
    with tempfile.TemporaryDirectory() as out:
        trainer = make_trainer(model, make_split(48, 0), make_split(24, 1), out)
        result = trainer.train()
        first, second = trainer.evaluate()["eval_loss"], trainer.evaluate()["eval_loss"]
    print(f"trained {result.global_step} steps, training loss {result.training_loss:.4f}")
    print(f"problem_type: {model.config.problem_type!r} (never multi-label)")
    print(f"eval loss twice: {first:.6f} {second:.6f} (unmixed, equal)")


if __name__ == "__main__":
    main()
