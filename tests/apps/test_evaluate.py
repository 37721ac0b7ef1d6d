"""evaluate's tools for small and thin things: per-image table, surface metrics, chosen post-processing."""
import csv
import json
import shutil

import pytest
import yaml

from unetkit.cli import main
from unetkit.infer import Predictor
from unetkit.models import load_checkpoint

from ..conftest import tiny_overrides


def test_per_image_table_and_surface_metrics(capsys, tmp_path, trained_run):
    csv_path, json_path = tmp_path / "per_image.csv", tmp_path / "m.json"
    code = main(["evaluate", "--checkpoint", str(trained_run / "best.pt"), "--split", "val", "--per-image",
                 str(csv_path), "--surface", "--tolerance", "3", "--json", str(json_path)])
    out = capsys.readouterr().out
    assert code == 0 and "hd95" in out and "cldice" in out and "worst first" in out
    metrics = json.loads(json_path.read_text())
    assert {"hd95", "assd", "surface_dice", "cldice", "hd95_per_class"} <= set(metrics)
    with csv_path.open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 2 and [float(r["f1"]) for r in rows] == sorted(float(r["f1"]) for r in rows)
    assert "hd95_foreground" in rows[0]


def test_surface_metrics_are_off_by_default(capsys, trained_run):
    assert main(["evaluate", "--checkpoint", str(trained_run / "best.pt"), "--split", "val"]) == 0
    assert "hd95" not in capsys.readouterr().out


def test_choose_postprocessing_stores_the_choice_with_the_run(capsys, tmp_path, trained_run):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    code = main(["evaluate", "--checkpoint", str(run / "best.pt"), "--split", "val", "--choose-postprocessing"])
    out = capsys.readouterr().out
    assert code == 0 and "post-processing chosen on val" in out
    chosen = json.loads((run / "postprocessing.json").read_text())
    assert chosen["score_after"] >= chosen["score_before"] and chosen["tried"]
    stored = load_checkpoint(run / "best.pt")["config"]["infer"]
    assert stored["postprocess"] == chosen["postprocess"] and stored["min_size"] == chosen["min_size"]
    assert yaml.safe_load((run / "config.yaml").read_text())["infer"]["postprocess"] == chosen["postprocess"]
    # prediction from the checkpoint uses it by default
    assert Predictor.from_checkpoint(run / "best.pt").settings.postprocess == chosen["postprocess"]
    # the weights are untouched
    before, after = load_checkpoint(trained_run / "best.pt")["model"], load_checkpoint(run / "best.pt")["model"]
    assert all((before[k] == after[k]).all() for k in before)


def _scalars(metrics: dict) -> dict:
    return {key: value for key, value in metrics.items() if isinstance(value, float)}


@pytest.mark.precision
def test_a_checkpoint_has_one_score_training_and_evaluate_agree(tmp_path, synthetic_root):
    """best.pt's validation record in history.jsonl, and metrics.json (last.pt's), equal `unetkit evaluate
    --split val` on those checkpoints to 1e-4, in whatever precision infer.precision=auto means here
    (BatchNorm and three epochs, so the best and the last checkpoints can differ). The one exception is
    by design: the expected calibration error, which the temperature fitted after training
    (train.calibrate) changes; evaluate's ECE of best.pt is the calibration's 'ece_after'."""
    run = tmp_path / "run"
    overrides = [*tiny_overrides(synthetic_root), "train.precision=auto", "train.epochs=3", "model.norm=batch",
                 "train.lr=0.01"]
    assert main(["train", "--out", str(run), *overrides]) == 0
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    best_epoch = load_checkpoint(run / "best.pt")["train_state"]["best_epoch"]
    final = json.loads((run / "metrics.json").read_text())
    calibration = final.pop("calibration")
    recorded = {"best.pt": next(r["val"] for r in history if r["epoch"] == best_epoch), "last.pt": final}
    assert recorded["last.pt"] == history[-1]["val"]
    for name, metrics in recorded.items():
        assert main(["evaluate", "--checkpoint", str(run / name), "--split", "val", "--json",
                     str(tmp_path / f"{name}.json")]) == 0
        evaluated = json.loads((tmp_path / f"{name}.json").read_text())
        assert _scalars(metrics), metrics
        if name == "best.pt":
            assert evaluated["ece"] == pytest.approx(calibration["ece_after"], abs=1e-3)
        for key, value in _scalars(metrics).items():
            if key == "ece":
                continue
            assert evaluated[key] == pytest.approx(value, abs=1e-4, nan_ok=True), (name, key)
