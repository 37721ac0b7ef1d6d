"""`unetkit compare` and `unetkit sweep` on tiny configs: tables that match the runs' own metrics."""
import json

import numpy as np
import pytest
import yaml

from unetkit.apps.experiments import experiments_from_sweep
from unetkit.cli import main
from unetkit.config import load_config, to_dict

from ..conftest import tiny_overrides


@pytest.fixture
def two_configs(tmp_path, synthetic_root):
    paths = []
    for name, extra in (("plain", []), ("wider", ["model.base_channels=6"])):
        config = to_dict(load_config(None, [*tiny_overrides(synthetic_root), "train.epochs=1", *extra]))
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config))
        paths.append(path)
    return paths


def test_compare_two_configs_over_two_seeds(tmp_path, two_configs, capsys):
    out = tmp_path / "compare"
    assert main(["compare", *map(str, two_configs), "--seeds", "2", "--out", str(out)]) == 0
    summary = json.loads((out / "compare.json").read_text())["summary"]
    for name in ("plain", "wider"):
        scores = [json.loads((out / name / f"seed{seed}" / "scores_test.json").read_text()) for seed in (0, 1)]
        f1 = [score["f1"] for score in scores]
        assert summary[name]["runs"] == 2
        assert summary[name]["f1"]["mean"] == pytest.approx(np.mean(f1))
        assert summary[name]["f1"]["std"] == pytest.approx(np.std(f1, ddof=1))
        seeds = [load_config(out / name / f"seed{seed}" / "config.yaml").train.seed for seed in (0, 1)]
        assert seeds == [0, 1]
    table = (out / "compare.md").read_text()
    assert "| f1 |" in table and "±" in table and (out / "compare.png").stat().st_size > 1000
    printed = capsys.readouterr().out
    # again: every run is reused, nothing retrained (the checkpoints keep their times)
    stamps = {path: path.stat().st_mtime_ns for path in out.rglob("best.pt")}
    assert main(["compare", *map(str, two_configs), "--seeds", "2", "--out", str(out)]) == 0
    assert {path: path.stat().st_mtime_ns for path in out.rglob("best.pt")} == stamps
    assert capsys.readouterr().out == printed
    # a finished run directory is taken as it is
    assert main(["compare", str(out / "plain" / "seed0"), str(two_configs[1]), "--seeds", "2",
                 "--out", str(out)]) == 0
    assert json.loads((out / "compare.json").read_text())["summary"]["plain-seed0"]["runs"] == 1


def test_sweep_over_two_values_makes_two_runs_and_the_plot(tmp_path, two_configs):
    out = tmp_path / "sweep"
    assert main(["sweep", "--config", str(two_configs[0]), "model.base_channels=4,8", "train.epochs=1",
                 "--out", str(out)]) == 0
    runs = sorted(path.parent.parent.name for path in out.rglob("best.pt"))
    assert runs == ["model.base_channels=4", "model.base_channels=8"]
    assert load_config(out / "model.base_channels=8" / "seed0" / "config.yaml").model.base_channels == 8
    assert (out / "sweep.png").stat().st_size > 1000 and (out / "compare.md").is_file()
    # an epoch study scores last.pt: the runs are reused, only scored again
    assert main(["sweep", "--config", str(two_configs[0]), "model.base_channels=4,8", "train.epochs=1",
                 "--out", str(out), "--checkpoint", "last"]) == 0
    assert len(list(out.rglob("scores_test_last.json"))) == 2
    assert json.loads((out / "compare.json").read_text())["checkpoint"] == "last"


def test_sweep_needs_values_and_bad_values_fail_first(tmp_path, two_configs, capsys):
    assert main(["sweep", "--config", str(two_configs[0]), "train.epochs=1", "--out", str(tmp_path / "s")]) == 2
    assert "KEY=V1,V2" in capsys.readouterr().err
    assert main(["sweep", "--config", str(two_configs[0]), "train.lr=0.1,-1", "--out", str(tmp_path / "s")]) == 2
    assert "train.lr" in capsys.readouterr().err and not (tmp_path / "s").exists()


def test_each_comma_list_is_an_axis_and_other_settings_are_fixed(two_configs):
    experiments = experiments_from_sweep(two_configs[0], ["model.base_channels=4,8", "train.epochs=1",
                                                          "train.lr=0.1,0.01"])
    assert [experiment.name for experiment in experiments] == [
        "model.base_channels=4,train.lr=0.1", "model.base_channels=4,train.lr=0.01",
        "model.base_channels=8,train.lr=0.1", "model.base_channels=8,train.lr=0.01"]
    assert all(experiment.overrides[0] == "train.epochs=1" for experiment in experiments)
    assert experiments[1].value == "4,0.01"
