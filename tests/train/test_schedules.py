import pytest

from unetkit.config import load_config
from unetkit.train.schedules import lr_factor


def _train(*overrides):
    return load_config(None, ["data.root=/x", "train.epochs=10", *overrides]).train


def test_warmup_then_cosine_to_zero():
    config = _train("train.schedule=cosine", "train.warmup_epochs=1")
    assert lr_factor(0, config, 100, 10) == pytest.approx(0.1)
    assert lr_factor(9, config, 100, 10) == pytest.approx(1.0)
    assert lr_factor(10, config, 100, 10) == pytest.approx(1.0)
    assert lr_factor(55, config, 100, 10) == pytest.approx(0.5)
    assert lr_factor(100, config, 100, 10) == pytest.approx(0.0)


def test_step_poly_constant():
    step = _train("train.schedule=step", "train.step_epochs=3", "train.step_gamma=0.5")
    assert [lr_factor(s, step, 100, 10) for s in (0, 29, 30, 60)] == pytest.approx([1, 1, 0.5, 0.25])
    poly = _train("train.schedule=poly", "train.poly_power=2")
    assert lr_factor(50, poly, 100, 10) == pytest.approx(0.25)
    assert lr_factor(77, _train("train.schedule=constant"), 100, 10) == 1.0


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd"])
def test_optimizers_are_fused_on_cpu_and_update_like_the_reference(name):
    import torch

    from unetkit.config import TrainConfig, options_of
    from unetkit.train.optimizers import build_optimizer
    config = TrainConfig(optimizer=name, lr=0.01, weight_decay=0.01)
    torch.manual_seed(0)
    ours, reference = torch.nn.Linear(5, 3), torch.nn.Linear(5, 3)
    reference.load_state_dict(ours.state_dict())
    optimizer = build_optimizer(ours.parameters(), config)
    assert optimizer.defaults["fused"] is True
    reference_class = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}[name]
    extra = {"momentum": options_of(config, "sgd").momentum} if name == "sgd" else {}
    reference_optimizer = reference_class(reference.parameters(), lr=0.01, weight_decay=0.01, foreach=False, **extra)
    for _ in range(3):
        x = torch.randn(8, 5)
        for model, opt in ((ours, optimizer), (reference, reference_optimizer)):
            opt.zero_grad()
            model(x).square().mean().backward()
            opt.step()
    assert torch.allclose(ours.weight, reference.weight, atol=1e-6)


def test_plateau_lowers_the_rate_after_patience_validations_without_gain(tmp_path, synthetic_root):
    """lr 1e-30 (below fp32 resolution) and no BatchNorm: every validation after the first scores the
    same, so with patience 2 the rate halves after validations 3 and 5 (and the count survives resume)."""
    import json

    from unetkit.config import load_config
    from unetkit.train import train

    from ..conftest import tiny_overrides
    overrides = [*tiny_overrides(synthetic_root), "train.lr=1e-30", "model.norm=none", "train.schedule=plateau",
                 "train.plateau_patience=2", "train.plateau_factor=0.5", "train.epochs=3"]
    train(load_config(None, overrides), tmp_path / "run")
    train(load_config(None, [*overrides, "train.epochs=6"]), tmp_path / "run", resume=True)
    history = [json.loads(line) for line in (tmp_path / "run" / "history.jsonl").read_text().splitlines()]
    rates = [record["lr"] / 1e-30 for record in history]
    assert [round(rate, 6) for rate in rates] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]


def test_plateau_needs_validation(tmp_path, synthetic_root, monkeypatch):
    from unetkit.config import load_config
    from unetkit.data import FORMATS
    from unetkit.errors import ConfigError
    from unetkit.train import train

    from ..conftest import tiny_overrides
    monkeypatch.setattr(type(FORMATS["folder"]), "has_validation", lambda self, data: False)   # e.g. drive, val_images: []
    config = load_config(None, [*tiny_overrides(synthetic_root), "train.schedule=plateau"])
    with pytest.raises(ConfigError, match="train.schedule=plateau .* no validation images"):
        train(config, tmp_path / "run")


def test_the_schedule_ends_with_the_time_budget_when_that_comes_first():
    """train.schedule_to_budget: progress is the larger of steps done and budget spent, so a loop slower
    than the plan's probe still ends at the rate's floor; without a budget, steps alone count."""
    config = _train("train.schedule=cosine", "train.max_minutes=10")
    assert lr_factor(10, config, 100, 10, budget_used=0.5) == pytest.approx(0.5)      # time ahead of steps
    assert lr_factor(50, config, 100, 10, budget_used=0.1) == pytest.approx(0.5)      # steps ahead of time
    assert lr_factor(10, config, 100, 10, budget_used=1.3) == pytest.approx(0.0)      # past the budget: the floor
    poly = _train("train.schedule=poly", "train.poly_power=1", "train.max_minutes=10")
    assert lr_factor(0, poly, 100, 10, budget_used=0.75) == pytest.approx(0.25)
    assert lr_factor(10, _train("train.schedule=cosine", "train.max_minutes=10", "train.schedule_to_budget=false"),
                     100, 10, budget_used=0.5) == pytest.approx(lr_factor(10, config, 100, 10))
    assert lr_factor(10, _train("train.schedule=cosine"), 100, 10, budget_used=0.5) == pytest.approx(
        lr_factor(10, config, 100, 10))


def test_a_run_stopped_by_its_budget_ends_near_the_floor(tmp_path, synthetic_root):
    """Far more epochs than fit the budget: the last recorded rate is within the last tenth of the cosine."""
    import json

    from unetkit.config import load_config
    from unetkit.train import train

    from ..conftest import tiny_overrides
    run = tmp_path / "run"
    train(load_config(None, [*tiny_overrides(synthetic_root), "train.epochs=10000", "train.max_minutes=0.05",
                             "train.val_every=1000"]), run)
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert history[-1]["epoch"] < 10000
    lr = load_config(None, tiny_overrides(synthetic_root)).train.lr
    assert history[-1]["lr"] < 0.03 * lr
