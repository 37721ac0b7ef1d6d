"""evaluate's tools for small and thin things: per-image table, surface metrics, chosen post-processing."""
import csv
import json
import shutil

import yaml

from unetkit.cli import main
from unetkit.infer import Predictor
from unetkit.models import load_checkpoint


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
