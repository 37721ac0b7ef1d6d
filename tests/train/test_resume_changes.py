"""Extending a finished run (`--resume train.epochs=N`) and what else may change on resume."""
import json

import pytest

from unetkit.cli import main
from unetkit.config import load_config
from unetkit.errors import ConfigError
from unetkit.train.resume_changes import check_resume_changes

from ..conftest import tiny_overrides


def _history(run):
    return [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]


def test_a_finished_run_is_extended_with_its_schedule_restretched(tmp_path, synthetic_root, capsys):
    run = tmp_path / "run"
    overrides = [*tiny_overrides(synthetic_root), "train.schedule=cosine", "train.warmup_epochs=0"]
    assert main(["train", "--out", str(run), *overrides]) == 0
    first = _history(run)
    assert [h["epoch"] for h in first] == [1, 2]
    assert main(["train", "--out", str(run), "--resume", "train.epochs=4", "train.patience=5"]) == 0
    extended = _history(run)
    assert [h["epoch"] for h in extended] == [1, 2, 3, 4]
    assert extended[1]["step"] < extended[2]["step"] < extended[3]["step"]
    # cosine over 4 epochs: after epoch 2 of 2 the rate was near 0; re-stretched, epoch 3 ends higher
    assert extended[2]["lr"] > first[1]["lr"] and extended[3]["lr"] < extended[2]["lr"]
    assert load_config(run / "config.yaml").train.epochs == 4


def test_unsafe_changes_and_shrinking_are_one_line_errors(tmp_path, synthetic_root, capsys):
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), *tiny_overrides(synthetic_root)]) == 0
    capsys.readouterr()
    assert main(["train", "--out", str(run), "--resume", "train.lr=0.5"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "--resume: train.lr was 0.002 in this run, now 0.5" in error
    assert main(["train", "--out", str(run), "--resume", "train.epochs=1"]) == 2
    assert "train.epochs=1 is below the 2 epochs" in capsys.readouterr().err


def test_the_safe_keys_are_the_ones_about_time_and_watching():
    saved = load_config(None, ["data.root=/x"])
    changed = load_config(None, ["data.root=/x", "train.max_minutes=30", "train.val_every=2", "infer.tile=512",
                                 "data.workers=2"])
    assert len(check_resume_changes(saved, changed, epochs_done=0)) == 4
    with pytest.raises(ConfigError, match="model.base_channels was 32"):
        check_resume_changes(saved, load_config(None, ["data.root=/x", "model.base_channels=8"]), 0)
