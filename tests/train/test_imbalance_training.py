"""Training with class weights, a sum of losses and foreground oversampling, resumed."""
import logging

import pytest
import torch

from unetkit.config import load_config
from unetkit.data import class_pixel_counts, find_samples, load_samples
from unetkit.losses import class_weights_from_counts
from unetkit.models import load_checkpoint, load_model
from unetkit.train import train

from ..conftest import tiny_overrides, train_interrupted_at


def _config(root, *extra):
    return load_config(None, [*tiny_overrides(root), "train.loss=ce+tversky", "train.loss_weights=1,0.5",
                              "train.class_weights=auto", "data.foreground_fraction=0.5", *extra])


def test_auto_class_weights_are_logged_and_stored(tmp_path, synthetic_root, caplog):
    config = _config(synthetic_root, "train.epochs=1")
    with caplog.at_level(logging.INFO):
        train(config, tmp_path / "run")
    samples = load_samples(find_samples(config.data, "train"), config.data)
    expected = class_weights_from_counts(class_pixel_counts(samples, 2))
    stored = load_checkpoint(tmp_path / "run" / "best.pt")["class_weights"]
    assert stored == pytest.approx(expected.tolist(), rel=1e-5)
    assert "class weights (auto, median_frequency)" in caplog.text
    assert load_model(tmp_path / "run" / "best.pt")[1].class_weights == pytest.approx(stored)


def test_resumed_run_matches_an_unbroken_one(tmp_path, synthetic_root):
    config = _config(synthetic_root, "train.epochs=3")
    train(config, tmp_path / "straight")
    train_interrupted_at(config, tmp_path / "broken", epoch=2)
    train(config, tmp_path / "broken", resume=True)
    straight = load_checkpoint(tmp_path / "straight" / "last.pt")
    resumed = load_checkpoint(tmp_path / "broken" / "last.pt")
    assert resumed["class_weights"] == straight["class_weights"]
    for key, value in straight["model"].items():
        assert torch.equal(value, resumed["model"][key]), key


def test_train_log_is_written_when_called_from_python(tmp_path, synthetic_root):
    logging.getLogger("unetkit").setLevel(logging.NOTSET)   # as a script without logging set up has it
    train(load_config(None, [*tiny_overrides(synthetic_root), "train.epochs=1"]), tmp_path / "run")
    text = (tmp_path / "run" / "train.log").read_text()
    assert "epoch 1: loss" in text and "training images" in text
