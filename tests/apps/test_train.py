"""apps/train.py's reading of the command line: the run directory's default name and when the plan is made."""
from pathlib import Path

from unetkit.apps.train import default_run_dir, wants_plan


def test_a_planned_run_is_named_after_the_data_root_the_config_would_use():
    """The last data.root wins, as the config applies overrides; a file config names the run itself."""
    overrides = ["data.root=/data/first", "train.epochs=1", "data.root=/data/drive"]
    assert default_run_dir(None, overrides) == Path("runs/auto-drive")
    assert default_run_dir("auto", ["train.epochs=1"]) == Path("runs/default")
    assert default_run_dir("configs/isic.yaml", overrides) == Path("runs/isic")


def test_the_plan_is_made_without_a_config_file_when_data_root_is_given():
    assert wants_plan(None, ["train.epochs=1", "data.root=/data/drive"])
    assert wants_plan("auto", [])
    assert not wants_plan(None, ["train.epochs=1"])
    assert not wants_plan("configs/isic.yaml", ["data.root=/data/drive"])
