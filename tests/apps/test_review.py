"""`unetkit review` (issue 30): the command's files, its page, out-of-fold runs and its refusals."""
import base64
import csv
import io
import re
import shutil

from PIL import Image

from unetkit.cli import main


def test_review_writes_the_ranking_its_panels_and_a_self_contained_page(tmp_path, trained_run, synthetic_root, capsys):
    out = tmp_path / "review"
    assert main(["review", str(trained_run), "--top", "2", "--out", str(out),
                 "--unlabeled", str(synthetic_root / "test" / "images")]) == 0
    printed = capsys.readouterr().out
    assert "the model was trained on these masks" in printed and "review.html" in printed
    rows = list(csv.DictReader(open(out / "suspects.csv")))
    assert [int(row["rank"]) for row in rows] == [1, 2, 3, 4, 5, 6]   # every training and validation image
    scores = [float(row["score"]) for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert len(list((out / "suspects").glob("*.png"))) == 2
    picked = list(csv.DictReader(open(out / "label_next.csv")))
    assert [int(row["rank"]) for row in picked] == [1, 2] and len(list((out / "label_next").glob("*.png"))) == 2
    page = (out / "review.html").read_text()
    for heading in ("Suspicious labels", "Calibration", "Label next"):
        assert f"<h2>{heading}</h2>" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2 + 1 + 2 and "src=\"http" not in page and "<script" not in page
    for data in images:
        assert Image.open(io.BytesIO(base64.b64decode(data))).width > 60


def test_a_folds_run_is_reviewed_out_of_fold(tmp_path, synthetic_root, capsys):
    from ..conftest import tiny_overrides
    root, run = tmp_path / "data", tmp_path / "folds"
    shutil.copytree(synthetic_root, root)
    shutil.rmtree(root / "val")                            # --folds divides train/ itself
    assert main(["train", "--folds", "2", "--out", str(run), *tiny_overrides(root), "train.epochs=1"]) == 0
    capsys.readouterr()
    assert main(["review", str(run), "--top", "1"]) == 0
    assert "out of fold" in capsys.readouterr().out
    rows = list(csv.DictReader(open(run / "review" / "suspects.csv")))
    assert len(rows) == 4                                   # each training image once, by the fold holding it out


def test_review_refuses_what_it_cannot_review_in_one_line(tmp_path, trained_run, synthetic_root, capsys):
    unlabelled = tmp_path / "unlabelled"
    shutil.copytree(synthetic_root, unlabelled)
    shutil.rmtree(unlabelled / "train" / "masks")
    assert main(["review", str(trained_run), f"data.root={unlabelled}"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "masks" in error[0]
    assert main(["review", str(tmp_path / "nothing")]) == 2
    assert "no such run directory" in capsys.readouterr().err
    assert main(["review", str(tmp_path)]) == 2
    assert "not a training run" in capsys.readouterr().err


def test_review_exports_its_suspects_and_picks_for_label_studio_in_its_order(tmp_path, trained_run, synthetic_root,
                                                                             capsys):
    """`review --export label_studio FILE` (issue 45): the top suspects as tasks holding their current label as
    the annotation and the model's proposal as the prediction, scored by review, then the label-next picks."""
    import json

    import numpy as np

    from unetkit.data.annotations.label_studio_rle import rle_to_mask
    out, tasks_file = tmp_path / "review", tmp_path / "tasks.json"
    assert main(["review", str(trained_run), "--top", "3", "--out", str(out), "--unlabeled",
                 str(synthetic_root / "test" / "images"), "--export", "label_studio", str(tasks_file),
                 "--image-url", "/data/local-files/?d=images/"]) == 0
    assert "tasks.json" in capsys.readouterr().out
    tasks = json.loads(tasks_file.read_text())
    rows = list(csv.DictReader(open(out / "suspects.csv")))[:3]
    picked = list(csv.DictReader(open(out / "label_next.csv")))
    assert len(tasks) == 3 + len(picked)
    suspects, picks = tasks[:3], tasks[3:]
    for task, row in zip(suspects, rows):
        assert task["data"]["image"].startswith("/data/local-files/?d=images/")
        assert task["data"]["image"].rsplit("/", 1)[-1].rsplit(".", 1)[0] == row["image"]
        assert abs(task["predictions"][0]["score"] - float(row["score"])) < 1e-5
        mask_file = next((synthetic_root / split / "masks" / f"{row['image']}.png" for split in ("train", "val")
                          if (synthetic_root / split / "masks" / f"{row['image']}.png").is_file()))
        roi = mask_file.parent.parent / "roi" / mask_file.name   # outside the ROI the label is ignored: no brush
        truth = (np.asarray(Image.open(mask_file)) > 0) & (np.asarray(Image.open(roi)) > 0)
        (now,) = task["annotations"][0]["result"]   # the current label, as a brush
        assert np.array_equal(rle_to_mask(now["value"]["rle"], *truth.shape), truth)
    assert all("annotations" not in task and task["predictions"][0]["result"] for task in picks)
    assert [round(t["predictions"][0]["score"], 4) for t in picks] == [round(float(r["value_after_diversity"]), 4)
                                                                       for r in picked]
    assert main(["review", str(trained_run), "--export", "yolo", str(tmp_path / "x")]) == 2
    assert "not a format unetkit writes" in capsys.readouterr().err
