"""Freeze then unfreeze an encoder, fine-tune from a checkpoint, and the schedules of both phases."""
import json

import pytest
import torch
import torchvision

from unetkit.config import load_config
from unetkit.errors import ConfigError
from unetkit.models import load_checkpoint
from unetkit.train import train
from unetkit.train.schedules import build_scheduler

from ..conftest import tiny_overrides, train_interrupted_at


def _resnet18_file(tmp_path):
    torch.manual_seed(3)
    path = tmp_path / "resnet18.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    return path


def _encoder_config(root, weights, *extra):
    common = [o for o in tiny_overrides(root) if not o.startswith(("model.depth", "model.base"))]
    return load_config(None, [*common, "model.name=resnet18_unet", f"model.encoder_weights={weights}",
                              "train.freeze_encoder_epochs=1", "train.epochs=2", "train.save_every=1", *extra])


def test_encoder_is_unchanged_while_frozen_and_learns_after(tmp_path, synthetic_root):
    weights = _resnet18_file(tmp_path)
    train(_encoder_config(synthetic_root, weights, "train.freeze_batch_size=2", "train.freeze_lr=0.01"),
          tmp_path / "run")
    pretrained = torch.load(weights, weights_only=True)
    first, second = (load_checkpoint(tmp_path / "run" / f"epoch_00{e}.pt")["model"] for e in (1, 2))
    encoder_keys = [k for k in first if k.startswith("encoder.backbone.")]
    assert encoder_keys
    for key in encoder_keys:  # weights and BatchNorm statistics as loaded
        assert torch.equal(first[key], pretrained[key.removeprefix("encoder.backbone.")]), key
    assert any(not torch.equal(first[k], second[k]) for k in encoder_keys if k.endswith("conv1.weight"))
    assert not torch.equal(first["head.weight"], second["head.weight"])
    history = [json.loads(line) for line in (tmp_path / "run" / "history.jsonl").read_text().splitlines()]
    assert history[0]["step"] == 4 and history[1]["step"] == 6  # 8 patches: batches of 2, then of 4


def test_resume_in_the_frozen_phase_matches_an_unbroken_run(tmp_path, synthetic_root):
    weights = _resnet18_file(tmp_path)
    config = _encoder_config(synthetic_root, weights, "train.freeze_encoder_epochs=2", "train.epochs=3")
    train(config, tmp_path / "straight")
    train_interrupted_at(config, tmp_path / "broken", epoch=1)
    train(config, tmp_path / "broken", resume=True)
    straight = load_checkpoint(tmp_path / "straight" / "last.pt")["model"]
    resumed = load_checkpoint(tmp_path / "broken" / "last.pt")["model"]
    assert all(torch.equal(straight[key], resumed[key]) for key in straight)


def test_freezing_needs_an_encoder(tmp_path, synthetic_root):
    config = load_config(None, [*tiny_overrides(synthetic_root), "train.freeze_encoder_epochs=1"])
    with pytest.raises(ConfigError, match="model 'unet' has no encoder to freeze"):
        train(config, tmp_path / "run")


def test_schedule_of_both_phases():
    config = load_config(None, ["data.root=/x", "train.epochs=4", "train.lr=0.1", "train.schedule=constant",
                                "train.freeze_encoder_epochs=2", "train.freeze_lr=0.02",
                                "train.encoder_lr_scale=0.5"]).train
    parameters = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
    optimizer = torch.optim.SGD([{"params": parameters[:1]}, {"params": parameters[1:], "lr_scale": 0.5}], lr=0.1)
    scheduler = build_scheduler(optimizer, config, steps_per_epoch=5, frozen_steps_per_epoch=10)
    rates = []
    for _ in range(30):
        rates.append([group["lr"] for group in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    assert rates[0] == pytest.approx([0.02, 0.02]) and rates[19] == pytest.approx([0.02, 0.02])  # 2 x 10 steps
    assert rates[20] == pytest.approx([0.1, 0.05]) and rates[29] == pytest.approx([0.1, 0.05])


def test_fine_tune_from_a_checkpoint_with_other_classes(tmp_path, synthetic_root, caplog):
    common = [*tiny_overrides(synthetic_root), "model.norm=none"]
    train(load_config(None, common), tmp_path / "two")
    source = load_checkpoint(tmp_path / "two" / "best.pt")
    config = load_config(None, [*common, f"model.init_from={tmp_path / 'two' / 'best.pt'}", "train.lr=1e-30",
                                # below fp32 resolution: weights unchanged
                                "data.num_classes=3", "data.mask=index"])
    with caplog.at_level("INFO", logger="unetkit"):
        train(config, tmp_path / "three")
    tuned = load_checkpoint(tmp_path / "three" / "last.pt")
    assert "re-initialised head.weight, head.bias (the checkpoint has 2 classes, this run 3)" in caplog.text
    assert tuned["model"]["head.weight"].shape[0] == 3
    assert torch.equal(tuned["model"]["encoders.0.0.weight"], source["model"]["encoders.0.0.weight"])
    assert tuned["normalization"] == source["normalization"]
