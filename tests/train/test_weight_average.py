import json

import pytest
import torch

from unetkit.apps.evaluate import evaluate_checkpoint
from unetkit.config import load_config
from unetkit.errors import ConfigError
from unetkit.models import load_checkpoint
from unetkit.train import train
from unetkit.train.weight_average import WeightAverage

from ..conftest import tiny_overrides, train_interrupted_at


def test_the_average_follows_the_warmed_up_decay_and_copies_integer_buffers():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False), torch.nn.BatchNorm1d(2))
    average = WeightAverage(model, decay=0.9)
    expected = None
    for n in range(4):    # update n: the first copies, then the new weights weigh 1 - min(decay, (1+n)/(10+n))
        with torch.no_grad():
            model[0].weight.add_(1.0)
        model[1].num_batches_tracked += 5
        average.update(model)
        decay = min(0.9, (1 + n) / (10 + n)) if n else 0.0
        current = model[0].weight.detach().clone()
        expected = current if expected is None else decay * expected + (1 - decay) * current
    assert average.updates == 4
    assert torch.allclose(average.model[0].weight, expected)
    assert not torch.allclose(average.model[0].weight, model[0].weight)
    assert int(average.model[1].num_batches_tracked) == int(model[1].num_batches_tracked)


def test_with_ema_validation_scores_and_checkpoints_hold_the_average(tmp_path, synthetic_root):
    """best.pt's model is the average (not the trained weights, kept for resume), and evaluate gives
    the score training recorded for it."""
    run = tmp_path / "run"
    config = load_config(None, [*tiny_overrides(synthetic_root), "train.epochs=3", "train.ema=0.9"])
    train(config, run)
    best = load_checkpoint(run / "best.pt")
    trained = best["weight_average"]["trained_model"]
    assert best["weight_average"]["ema_updates"] > 1
    assert any(not torch.equal(value, trained[key]) for key, value in best["model"].items()
               if value.is_floating_point())
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    recorded = next(record for record in history if record["epoch"] == best["train_state"]["epoch"])["val"]
    scores = evaluate_checkpoint(run / "best.pt", "val")
    assert scores["f1"] == pytest.approx(recorded["f1"], abs=1e-4)


def test_a_resumed_ema_run_matches_an_unbroken_one(tmp_path, synthetic_root):
    config = load_config(None, [*tiny_overrides(synthetic_root), "train.epochs=3", "train.ema=0.9"])
    train(config, tmp_path / "straight")
    train_interrupted_at(config, tmp_path / "broken", epoch=2)
    train(config, tmp_path / "broken", resume=True)
    straight, resumed = (load_checkpoint(tmp_path / name / "last.pt") for name in ("straight", "broken"))
    for key, value in straight["model"].items():
        assert torch.equal(value, resumed["model"][key]), key
    assert straight["weight_average"]["ema_updates"] == resumed["weight_average"]["ema_updates"]
    with pytest.raises(ConfigError, match="train.ema"):   # the average is not switched off halfway
        train(load_config(None, [*tiny_overrides(synthetic_root), "train.epochs=4"]), tmp_path / "broken",
              resume=True)


def test_ema_outside_0_1_is_refused():
    with pytest.raises(ConfigError, match="train.ema"):
        load_config(None, ["data.root=/x", "train.ema=1.5"])
