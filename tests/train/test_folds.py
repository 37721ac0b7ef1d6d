import json

import numpy as np
import pytest

from unetkit.cli import main
from unetkit.config import load_config
from unetkit.data.formats.isbi import fold_slices
from unetkit.errors import ConfigError
from unetkit.train.folds import train_folds

from ..conftest import write_png


@pytest.fixture(scope="module")
def isbi_root(tmp_path_factory):
    """A tiny ISBI-like stack: cells (255) separated by dark membranes (0)."""
    root = tmp_path_factory.mktemp("isbi")
    rng = np.random.default_rng(0)
    for index in range(6):
        label = np.full((48, 48), 255, np.uint8)
        for line in rng.integers(4, 44, 4):
            label[line:line + 2, :] = 0
            label[:, line:line + 2] = 0
        image = (label * 0.6 + 40 + rng.normal(0, 8, label.shape)).clip(0, 255).astype(np.uint8)
        write_png(root / f"train/images/{index:02d}.png", image)
        write_png(root / f"train/labels/{index:02d}.png", label)
    return root


def _isbi_overrides(root):
    return [f"data.root={root}", "data.format=isbi", "data.channels=1", "data.train_slices=0-3",
            "data.val_slices=4-5", "data.patch_size=32", "data.patches_per_epoch=8", "model.base_channels=4",
            "model.depth=2", "train.epochs=1", "train.progress=false", "train.precision=fp32",
            "train.monitor=rand_error"]


def test_fold_slices():
    assert fold_slices(list(range(10)), 3) == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    with pytest.raises(ConfigError, match="--folds"):
        fold_slices([0, 1], 3)


def test_k_fold_training_writes_summary(tmp_path, isbi_root):
    config = load_config(None, [*_isbi_overrides(isbi_root), "train.loss=weighted_ce"])
    summary = train_folds(config, tmp_path / "cv", 3)
    assert [f["val_slices"] for f in summary["folds"]] == [[0, 1], [2, 3], [4, 5]]
    assert {"rand_error", "pixel_error", "f1"} <= set(summary["mean"])
    written = json.loads((tmp_path / "cv" / "folds.json").read_text())["mean"]
    assert written.keys() == summary["mean"].keys() and written["rand_error"] == summary["mean"]["rand_error"]


@pytest.mark.precision
def test_isbi_evaluate_reports_challenge_scores(capsys, tmp_path, isbi_root):
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), *_isbi_overrides(isbi_root)]) == 0
    code = main(["evaluate", "--checkpoint", str(run / "best.pt"), "--split", "val", "--json", str(tmp_path / "m.json")])
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert code == 0 and 0 <= metrics["rand_error"] <= 1
    assert metrics["pixel_error"] == pytest.approx(1 - metrics["pixel_accuracy"])


def test_weights_map_command(capsys, tmp_path, isbi_root):
    out = tmp_path / "w.png"
    code = main(["weights-map", "--config", "configs/isbi2012_paper.yaml", f"data.root={isbi_root}", "data.train_slices=0-3",
                 "--out", str(out)])
    assert code == 0 and out.is_file() and "weights" in capsys.readouterr().out
    code = main(["weights-map", "--config", "configs/isbi2012_paper.yaml", f"data.root={isbi_root}", "data.train_slices=0-3",
                 "--image", "99",
                 "--out", str(out)])
    assert code == 2 and "--image 99" in capsys.readouterr().err


def test_folds_over_a_plain_folder(tmp_path, synthetic_root):
    """Any folder dataset (issue 16): seeded folds over train/, each held out once, saved in the runs."""
    import shutil

    from ..conftest import tiny_overrides
    root = tmp_path / "data"
    shutil.copytree(synthetic_root / "train", root / "train")
    for index in range(2):   # 6 training pairs in all
        for folder in ("images", "masks", "roi"):
            shutil.copy(synthetic_root / "val" / folder / f"val_{index:03d}.png", root / "train" / folder / f"extra_{index}.png")
    config = load_config(None, [*tiny_overrides(root), "train.epochs=1"])
    summary = train_folds(config, tmp_path / "cv", 3)
    held_out = [fold["val_images"] for fold in summary["folds"]]
    names = sorted(p.stem for p in (root / "train" / "images").iterdir())
    assert sorted(name for group in held_out for name in group) == names and all(len(g) == 2 for g in held_out)
    for index, group in enumerate(held_out, start=1):   # each run stores its own split
        assert load_config(tmp_path / "cv" / f"fold_{index}" / "config.yaml").data.val_images == group
    assert "f1" in summary["mean"]
    again = [fold.held_out for fold in config_formats_folds(config, 3)]
    assert again == held_out   # the same folds every time
    # the folds' models as one ensemble: a folds directory, or repeated --checkpoint
    image = str(root / "train" / "images" / "extra_0.png")
    assert main(["predict", "--checkpoint", str(tmp_path / "cv"), image, "--out", str(tmp_path / "p"), "--probs"]) == 0
    assert main(["evaluate", "--checkpoint", str(tmp_path / "cv" / "fold_1" / "best.pt"), "--checkpoint",
                 str(tmp_path / "cv" / "fold_2" / "best.pt"), "--split", "val", "--json", str(tmp_path / "e.json")]) == 0
    assert np.load(tmp_path / "p" / "extra_0_probs.npy").shape == (2, 64, 64)
    assert 0 <= json.loads((tmp_path / "e.json").read_text())["f1"] <= 1


def config_formats_folds(config, count):
    from unetkit.data import FORMATS
    return FORMATS[config.data.format].folds(config.data, count)


def test_folds_refuse_a_folder_with_its_own_val_split(tmp_path, synthetic_root, capsys):
    from ..conftest import tiny_overrides
    code = main(["train", "--out", str(tmp_path / "cv"), "--folds", "2", *tiny_overrides(synthetic_root)])
    assert code == 2 and "val exists too" in capsys.readouterr().err
