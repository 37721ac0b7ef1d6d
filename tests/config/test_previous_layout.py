"""A run of the main before the pieces owned their settings (tests/fixtures/previous_main/v2_run, flat
keys such as train.tversky_alpha) loads, predicts the same and resumes with the same settings."""
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from unetkit.apps import train_from_config
from unetkit.config import config_for_checkpoint, load_config, options_of
from unetkit.infer.predictor import Predictor
from unetkit.models import load_model

PREVIOUS = Path(__file__).parents[1] / "fixtures" / "previous_main"


def test_the_flat_layout_reads_into_the_pieces():
    config = load_config(PREVIOUS / "v2_run" / "config.yaml")
    assert options_of(config.train, "tversky").alpha == 0.4 and options_of(config.train, "sgd").momentum == 0.8
    assert options_of(config.train, "step").gamma == 0.5 and options_of(config.data, "synthetic").size == 48
    _, meta = load_model(PREVIOUS / "v2_run" / "last.pt")
    assert config_for_checkpoint(meta.run_config) == config


def test_its_checkpoint_predicts_as_it_did():
    predictor = Predictor.from_checkpoint(PREVIOUS / "v2_run" / "last.pt", device="cpu", precision="fp32")
    probabilities = predictor.probabilities(np.load(PREVIOUS / "image.npy")).numpy()
    assert np.abs(probabilities - np.load(PREVIOUS / "v2_run" / "last_probs.npy")).max() < 1e-5


def test_it_resumes_and_its_config_is_rewritten_in_the_new_layout(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(PREVIOUS / "v2_run", run)
    config_file = run / "config.yaml"   # the synthetic data is generated again, here
    config_file.write_text(config_file.read_text().replace("/tmp/v2data", str(tmp_path / "data")))
    train_from_config(out=run, resume=True, overrides=["train.epochs=3"])
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["train"]["tversky"]["alpha"] == 0.4 and saved["train"]["sgd"] == {"momentum": 0.8}
    assert "tversky_alpha" not in saved["train"] and "momentum" not in saved["train"]
    history = [yaml.safe_load(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert [record["epoch"] for record in history][-1] == 3
    assert history[-1]["lr"] == pytest.approx(1e-3 * 0.5 ** 2, rel=1e-6)   # train.lr, step gamma 0.5 per epoch
