import json

import pytest
import torch

from unetkit.config import load_config
from unetkit.errors import ConfigError
from unetkit.models import load_checkpoint
from unetkit.train import train

from ..conftest import tiny_overrides, train_interrupted_at


def _config(root, *extra):
    return load_config(None, [*tiny_overrides(root), *extra])


def test_training_writes_a_complete_run_dir(tmp_path, synthetic_root):
    config = _config(synthetic_root, "train.epochs=3", "train.save_every=2")
    result = train(config, tmp_path / "run")
    run = tmp_path / "run"
    for name in ("config.yaml", "last.pt", "best.pt", "epoch_002.pt", "history.jsonl", "train.log", "metrics.json"):
        assert (run / name).is_file(), name
    assert any((run / "tensorboard").iterdir())
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2, 3] and "f1" in history[-1]["val"]
    state = load_checkpoint(run / "best.pt")
    assert state["train_state"]["epoch"] == result["best_epoch"]
    assert state["normalization"]["mean"] and state["config"]["model"]["base_channels"] == 4


def test_resumed_training_matches_uninterrupted(tmp_path, synthetic_root):
    config = _config(synthetic_root, "train.epochs=3", "model.dropout=0.2")
    train(config, tmp_path / "straight")
    train_interrupted_at(config, tmp_path / "broken", epoch=2)
    assert load_checkpoint(tmp_path / "broken" / "last.pt")["train_state"]["epoch"] == 2
    train(config, tmp_path / "broken", resume=True)

    straight = load_checkpoint(tmp_path / "straight" / "last.pt")
    resumed = load_checkpoint(tmp_path / "broken" / "last.pt")
    assert resumed["train_state"]["epoch"] == 3
    for key, value in straight["model"].items():
        assert torch.equal(value, resumed["model"][key]), key
    assert straight["optimizer"]["state"][0]["step"] == resumed["optimizer"]["state"][0]["step"]


def test_existing_run_is_not_overwritten(tmp_path, synthetic_root):
    config = _config(synthetic_root, "train.epochs=1")
    train(config, tmp_path / "run")
    with pytest.raises(ConfigError, match="already holds a training run"):
        train(config, tmp_path / "run")


@pytest.mark.precision
def test_early_stopping(tmp_path, synthetic_root):
    # lr 1e-30 (below fp32 resolution) and no BatchNorm statistics => the same score at every validation
    # => stops after 1 + patience
    config = _config(synthetic_root, "train.epochs=10", "train.lr=1e-30", "train.patience=2", "model.norm=none")
    result = train(config, tmp_path / "run")
    assert result["stop_reason"] == "early stopping" and result["epochs"] == 3


def test_time_budget_stops_training(tmp_path, synthetic_root):
    config = _config(synthetic_root, "train.epochs=50", "train.max_minutes=0.0001")
    result = train(config, tmp_path / "run")
    assert result["stop_reason"] == "time budget" and result["epochs"] == 1


def test_valid_padding_model_trains_with_cropped_labels(tmp_path, synthetic_root):
    config = _config(synthetic_root, "model.padding=valid", "data.patch_size=44", "train.epochs=1",
                     "train.loss=bce")
    result = train(config, tmp_path / "run")
    assert result["metrics"]["f1"] == result["metrics"]["f1"]  # a number, not NaN: whole images were scored


@pytest.mark.precision
def test_learns_the_synthetic_task(tmp_path, synthetic_root):
    config = _config(synthetic_root, "train.epochs=6", "data.patches_per_epoch=32", "model.base_channels=8",
                     "train.lr=0.01", "train.loss=ce_dice", "train.precision=auto")
    result = train(config, tmp_path / "run")
    history = [json.loads(line) for line in (tmp_path / "run" / "history.jsonl").read_text().splitlines()]
    assert history[-1]["loss"] < history[0]["loss"] * 0.7
    assert result["best_score"] > 0.5


def test_killed_cli_run_resumes(tmp_path, synthetic_root):
    """kill (SIGTERM) a real `unetkit train` process, then finish it with --resume."""
    import signal
    import subprocess
    import sys
    import time
    run = tmp_path / "run"
    command = [sys.executable, "-m", "unetkit", "train", "--out", str(run), *tiny_overrides(synthetic_root),
               "train.epochs=40"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (run / "last.pt").is_file() and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "resume with: unetkit train --out" in err
    epochs_done = load_checkpoint(run / "last.pt")["train_state"]["epoch"]
    assert 1 <= epochs_done < 40
    finished = subprocess.run([sys.executable, "-m", "unetkit", "train", "--out", str(run), "--resume",
                               "train.epochs=" + str(epochs_done + 1)], capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert load_checkpoint(run / "last.pt")["train_state"]["epoch"] == epochs_done + 1


def test_diverging_loss_is_a_clear_error(tmp_path, synthetic_root):
    from unetkit.train import TrainingDiverged
    config = _config(synthetic_root, "train.lr=1e30", "train.optimizer=sgd", "train.momentum=0.99",
                     "model.norm=none", "train.epochs=3")
    with pytest.raises(TrainingDiverged, match="at step 2 .*Lower train.lr"):
        train(config, tmp_path / "run")


@pytest.mark.precision
def test_every_validation_runs_in_eval_mode(tmp_path, synthetic_root):
    """The metrics logged during training must equal a fresh evaluation of the same weights (in the
    checkpoint's infer.precision, as validation ran: the same numbers in fp32 and in bf16)."""
    from unetkit import Predictor
    from unetkit.data import find_samples, load_samples
    from unetkit.evaluate import evaluate_samples
    config = _config(synthetic_root, "train.epochs=3", "model.dropout=0.3")
    train(config, tmp_path / "run")
    history = [json.loads(line) for line in (tmp_path / "run" / "history.jsonl").read_text().splitlines()]
    predictor = Predictor.from_checkpoint(tmp_path / "run" / "last.pt")
    fresh = evaluate_samples(predictor, load_samples(find_samples(config.data, "val"), config.data))
    assert history[-1]["val"]["f1"] == pytest.approx(fresh["f1"], abs=1e-6)
    # AUC sums over every probability: emulated bf16 (an AVX2 CPU) moves it by ~6e-6 between two identical
    # evaluations; validation in train mode (dropout 0.3 on) moves it by orders of magnitude more
    assert history[-1]["val"]["auc"] == pytest.approx(fresh["auc"], abs=1e-4)
