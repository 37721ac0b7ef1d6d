"""A folder with only train/ trains with an automatic validation split, stored with the run and
reused on resume and by `evaluate --split val`."""
import numpy as np

from unetkit.apps.evaluate import evaluate_checkpoint
from unetkit.apps.train import train_from_config
from unetkit.config import load_config
from unetkit.models import load_model

from ..conftest import train_interrupted_at, write_png


def _train_only_folder(root, count=10):
    rng = np.random.default_rng(0)
    for index in range(count):
        mask = np.zeros((32, 32), np.uint8)
        mask[rng.integers(0, 16):, rng.integers(0, 16):] = 255
        write_png(root / f"train/images/img{index}.png", (mask // 2 + 60).astype(np.uint8))
        write_png(root / f"train/masks/img{index}.png", mask)
    return root


def _overrides(root):
    return [f"data.root={root}", "data.channels=1", "data.patch_size=32", "data.patches_per_epoch=8",
            "data.val_fraction=0.2", "model.base_channels=4", "model.depth=2", "train.batch_size=4",
            "train.epochs=2", "train.progress=false", "train.precision=fp32"]


def test_train_only_folder_holds_out_a_fixed_validation_split(tmp_path):
    root = _train_only_folder(tmp_path / "data")
    run = tmp_path / "run"
    train_interrupted_at(load_config(None, _overrides(root)), run, epoch=1)
    saved = load_config(run / "config.yaml").data.val_images
    assert len(saved) == 2 and all(name.startswith("img") for name in saved)
    result = train_from_config(None, run, resume=True)
    assert result["metrics"]["miou"] >= 0           # validated on the held-out images
    assert load_config(run / "config.yaml").data.val_images == saved
    _, meta = load_model(run / "best.pt")
    assert meta.run_config["data"]["val_images"] == saved
    val = evaluate_checkpoint(run / "best.pt", "val")
    train_scores = evaluate_checkpoint(run / "best.pt", "train")
    assert val["pixel_accuracy"] != train_scores["pixel_accuracy"]   # two different sets of images
