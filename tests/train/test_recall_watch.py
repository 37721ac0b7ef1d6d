"""The 'check the masks' warning: a foreground class that validation never finds."""
import logging

import numpy as np
from PIL import Image

from unetkit.config import load_config
from unetkit.train import train
from unetkit.train.recall_watch import RecallWatch


def _metrics(**recalls):
    return {"recall_per_class": {"background": 1.0, **recalls}}


def test_warns_once_after_zero_recall_in_a_row():
    watch = RecallWatch(after=2)
    assert watch.check(_metrics(vessel=0.0, disc=0.0)) == []
    warnings = watch.check(_metrics(vessel=0.0, disc=0.0), "data.mask=binary")
    assert len(warnings) == 2 and "check the masks (data.mask=binary)" in warnings[0]
    assert "class 'vessel' has validation recall 0 in 2 validations" in warnings[0]
    assert watch.check(_metrics(vessel=0.0, disc=0.0)) == []          # once per class


def test_a_class_missed_while_others_are_found_is_not_blamed_on_the_masks():
    """A scene's small class (LabelMeFacade's door) at recall 0 beside found classes: the masks are read
    right; the warning points to the imbalance tools instead."""
    watch = RecallWatch(after=2)
    watch.check(_metrics(door=0.0, sky=0.8))
    [warning] = watch.check(_metrics(door=0.0, sky=0.9), "data.mask=index")
    assert "class 'door'" in warning and "not learned yet" in warning and "check the masks" not in warning


def test_a_class_found_again_or_absent_resets_nothing_wrongly():
    watch = RecallWatch(after=2)
    watch.check(_metrics(vessel=0.0))
    watch.check(_metrics(vessel=0.3))
    assert watch.check(_metrics(vessel=0.0)) == []                    # the streak started again
    assert watch.check(_metrics(vessel=float("nan"))) == []           # not in these masks: no evidence


def test_training_on_masks_that_lose_the_foreground_warns(tmp_path, caplog):
    """Training masks with no foreground at all (what a mis-read mask gives): validation never finds
    the vessels the validation masks have, and the run says so."""
    for split, foreground in (("train", False), ("val", True)):
        for index in range(2):
            image = np.random.default_rng(index).integers(0, 255, (32, 32, 3), dtype=np.uint8)
            mask = np.zeros((32, 32), np.uint8)
            if foreground:
                mask[8:20, 8:20] = 255
            for folder, array in (("images", image), ("masks", mask)):
                (tmp_path / split / folder).mkdir(parents=True, exist_ok=True)
                Image.fromarray(array).save(tmp_path / split / folder / f"{index}.png")
    config = load_config(None, [f"data.root={tmp_path}", "data.patch_size=32", "data.patches_per_epoch=32",
                                "model.base_channels=4", "model.depth=2", "train.batch_size=4", "train.epochs=4",
                                "train.lr=0.01", "train.progress=false", "train.precision=fp32"])
    with caplog.at_level(logging.WARNING):
        train(config, tmp_path / "run")
    assert "class 'foreground' has validation recall 0" in caplog.text
