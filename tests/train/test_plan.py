"""The automatic plan: choices from the fingerprint, user keys win, the budget fit, and a planned run."""
import numpy as np
import pytest
import yaml

from tests.conftest import write_png
from unetkit.cli import main
from unetkit.config import load_config, to_dict
from unetkit.train import speed_probe
from unetkit.train.plan import budget_choices, make_plan
from unetkit.train.speed_probe import TrainingSpeed


def _binary_colour_folder(root, size=(96, 80)):
    rng = np.random.default_rng(1)
    for index in range(3):
        write_png(root / "train/images" / f"{index}.png", rng.integers(0, 255, (*size[::-1], 3), dtype=np.uint8))
        mask = np.zeros(size[::-1], np.uint8)
        mask[10:40, 10:40] = 1                        # a 0/1 mask: binary, not class ids
        write_png(root / "train/masks" / f"{index}.png", mask)
    return root


def test_binary_colour_data_gets_a_binary_colour_plan(tmp_path):
    plan = make_plan([f"data.root={_binary_colour_folder(tmp_path)}"], probe=False)
    config = plan.config
    assert (config.data.format, config.data.mask, config.data.num_classes, config.data.channels) == (
        "folder", "binary", 2, 3)
    assert config.data.patch_size == 64              # the largest multiple of 32 inside an 80-px short side
    assert config.model.depth == 3 and config.train.monitor == "f1" and config.train.loss == "ce_dice"
    assert config.train.max_minutes == 15.0
    assert "data.mask" in plan.reasons and "binary" in plan.reasons["data.mask"]


def test_multi_class_grey_data_gets_index_masks_and_grey_input(tmp_path):
    for index in range(2):
        write_png(tmp_path / "train/images" / f"{index}.png", np.full((64, 64), 100 + index, np.uint8))
        write_png(tmp_path / "train/masks" / f"{index}.png", np.arange(64 * 64).reshape(64, 64).astype(np.uint8) % 5)
    config = make_plan([f"data.root={tmp_path}"], probe=False).config
    assert (config.data.mask, config.data.num_classes, config.data.channels) == ("index", 5, 1)
    assert config.train.monitor == "miou" and len(config.data.class_names) == 5


def test_every_command_line_key_wins(tmp_path):
    root = _binary_colour_folder(tmp_path)
    plan = make_plan([f"data.root={root}", "data.patch_size=32", "train.loss=bce", "model.name=attention_unet"],
                     probe=False)
    assert plan.config.data.patch_size == 32 and plan.config.train.loss == "bce"
    assert plan.config.model.name == "attention_unet"
    assert plan.reasons["train.loss"] == "set on the command line"
    # another network keeps the plan's choices it takes (the depth that fits the user's patch), no others
    assert plan.config.model.depth == 3 and plan.reasons["model.depth"] == "32-px patches reach 4 px at the bottom"
    other = make_plan([f"data.root={root}", "model.name=resnet18_unet"], probe=False)
    assert not {"model.depth", "model.base_channels"} & set(other.reasons)


def test_a_typo_is_reported_before_the_data_is_read(tmp_path):
    from unetkit.errors import ConfigError
    with pytest.raises(ConfigError, match="unknown config key 'train.epocs'"):
        make_plan([f"data.root={tmp_path / 'nowhere'}", "train.epocs=3"], probe=False)


@pytest.mark.parametrize(("validation", "validations"), [(3.0, 8), (30.0, 2)])
def test_the_budget_fit_fills_the_time_left(tiny_config, validation, validations):
    speed = TrainingSpeed(steps_per_second=2.0, validation_seconds=validation, validation_images=2, probe_seconds=5)
    fitted = budget_choices(tiny_config, speed, seconds_left=600)
    epochs, patches = fitted["train.epochs"][0], fitted["data.patches_per_epoch"][0]
    assert epochs == validations                      # validation stays within 10% of the budget
    seconds = epochs * patches / tiny_config.train.batch_size / 2.0 + epochs * validation
    assert 0.9 * 600 <= seconds <= 600


def test_a_planned_run_writes_its_plan_and_resumes_from_it(tmp_path, synthetic_root, monkeypatch, capsys):
    monkeypatch.setattr(speed_probe, "MEASURE_SECONDS", 0.3)
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), f"data.root={synthetic_root}", "train.max_minutes=0.2",
                 "train.progress=false", "train.precision=fp32"]) == 0
    assert "plan.yaml" in capsys.readouterr().out
    plan_text = (run / "plan.yaml").read_text()
    assert "# speed probe:" in plan_text and "epochs:" in plan_text
    planned, stored = load_config(run / "plan.yaml"), load_config(run / "config.yaml")
    assert stored.train.precision_used == "fp32: train.precision=fp32"   # what training adds to the plan
    stored.train.precision_used = planned.train.precision_used
    assert to_dict(planned) == to_dict(stored)   # plan.yaml is the run's config
    assert planned.data.format == "folder" and 0 < planned.train.max_minutes < 0.2   # less planning, validations
    assert "# the training loop's clock" in plan_text
    assert yaml.safe_load((run / "inspect.json").read_text())["masks"]["kind"] == "binary"
    history = (run / "history.jsonl").read_text().splitlines()
    assert 1 <= len(history) <= planned.train.epochs    # the loop's clock may stop it on a busy machine
    assert main(["train", "--out", str(run), "--resume", f"train.epochs={planned.train.epochs + 1}",
                 "train.max_minutes=0"]) == 0
    assert len((run / "history.jsonl").read_text().splitlines()) == planned.train.epochs + 1


def test_scenes_with_an_up_direction_are_never_turned_and_vessels_take_every_orientation(tmp_path, synthetic_root):
    """Orientation from the masks: sky-over-road scenes keep their up (horizontal flips, small
    rotations); the synthetic vessels (no up) take every orientation; each says why."""
    from tests.conftest import write_scene_dataset
    scenes = make_plan([f"data.root={write_scene_dataset(tmp_path / 'scenes', count=6)}"], probe=False)
    assert scenes.fingerprint.layout.upright
    augment = scenes.config.augment
    assert (augment.rotate90, augment.vertical_flips, augment.flips, augment.rotate_degrees) == (False, False, True, 10.0)
    assert "upright scenes" in scenes.reasons["augment.vertical_flips"]
    vessels = make_plan([f"data.root={synthetic_root}"], probe=False)
    assert not vessels.fingerprint.layout.upright
    assert vessels.config.augment.rotate90 and vessels.config.augment.vertical_flips
    assert "no up direction" in vessels.reasons["augment.rotate90"]


def test_rare_classes_in_multi_class_masks_get_class_aware_patches(tmp_path):
    """A class under 2% of the pixels turns on patches centred on classes drawn among those present,
    named in the reason, and the class bias fitted after training; balanced classes do not."""
    for index in range(3):
        write_png(tmp_path / "rare/train/images" / f"{index}.png", np.full((64, 64, 3), 90 + index, np.uint8))
        mask = np.zeros((64, 64), np.uint8)
        mask[:, 32:] = 1
        mask[:6, :6] = 2      # 36 of 4096 pixels: 0.9%
        write_png(tmp_path / "rare/train/masks" / f"{index}.png", mask)
    plan = make_plan([f"data.root={tmp_path / 'rare'}"], probe=False)
    assert plan.config.data.foreground_fraction == 0.5
    assert "rare classes (class_2 0.9%)" in plan.reasons["data.foreground_fraction"]
    assert plan.config.train.tune_class_bias and "no class down" in plan.reasons["train.tune_class_bias"]
    for index in range(3):
        mask = np.zeros((64, 64), np.uint8)
        mask[:, 20:40], mask[:, 40:] = 1, 2
        write_png(tmp_path / "balanced/train/masks" / f"{index}.png", mask)
        write_png(tmp_path / "balanced/train/images" / f"{index}.png", np.full((64, 64, 3), 90, np.uint8))
    balanced = make_plan([f"data.root={tmp_path / 'balanced'}"], probe=False)
    assert balanced.config.data.foreground_fraction == 0.0 and "data.foreground_fraction" not in balanced.reasons
    assert not balanced.config.train.tune_class_bias


def test_the_smallest_class_named_is_the_smallest_present_one(tmp_path):
    """Class ids with a gap (CamVid-style ids, one unused) must not report 'smallest class 0.0%'; a tiny
    share keeps its digits."""
    for index in range(3):
        write_png(tmp_path / "gap/train/images" / f"{index}.png", np.full((128, 128, 3), 90 + index, np.uint8))
        mask = np.zeros((128, 128), np.uint8)
        mask[:, 64:] = 1
        mask[0, 0] = 3        # 1 of 16384 pixels: 0.006%; class 2 unused
        write_png(tmp_path / "gap/train/masks" / f"{index}.png", mask)
    plan = make_plan([f"data.root={tmp_path / 'gap'}"], probe=False)
    assert "(smallest class 0.006%)" in plan.reasons["train.loss"]
    assert "class_3 0.006%" in plan.reasons["data.foreground_fraction"]


def test_scene_crops_grow_while_enough_steps_fit_the_budget():
    """A step's time grows with the crop's area: the largest multiple of 32 up to the median short side
    at which CONTEXT_STEPS steps still fit, else the probed size with the reason."""
    from unetkit.train.plan import CONTEXT_STEPS, larger_crop
    assert larger_crop((683, 512), 256, 100 * CONTEXT_STEPS)[0] == 512          # a fast machine: whole short side
    crop, why = larger_crop((683, 512), 256, int(1.6 * CONTEXT_STEPS))            # 1.6 x (256/320)^2 = 1.02
    assert crop == 320 and "steps still fit" in why and "683x512" in why
    crop, why = larger_crop((683, 512), 256, CONTEXT_STEPS)
    assert crop == 256 and "more steps beat more context" in why
    assert larger_crop((300, 256), 256, 100 * CONTEXT_STEPS) == (256, "the crops already span the short side")


def test_scenes_zoom_out_to_their_short_side_and_other_data_does_not():
    """Mixed resolution for scenes: crops up to the median short side shrunk to the patch (at most 4x);
    none where the patch already spans the short side. Fundus, EM and micrographs never get it (plan)."""
    from unetkit.train.plan import ZOOM_MAX, zoom_out_choice
    zoom, why = zoom_out_choice((683, 512), 256)
    assert zoom == 2.0 and "crops of 256-512 px" in why
    assert zoom_out_choice((4000, 3000), 256)[0] == ZOOM_MAX
    assert zoom_out_choice((300, 256), 256)[0] == 1.0


def test_the_plan_zooms_out_on_scenes_only(tmp_path, synthetic_root):
    from tests.conftest import write_scene_dataset
    scenes = make_plan([f"data.root={write_scene_dataset(tmp_path / 'scenes', count=6)}"], probe=False)
    vessels = make_plan([f"data.root={synthetic_root}"], probe=False)
    short, patch = min(scenes.fingerprint.median_size), scenes.config.data.patch_size
    assert scenes.config.augment.zoom_out == (round(min(4.0, short / patch), 2) if short > patch else 1.0)
    assert vessels.config.augment.zoom_out == 1.0 and "augment.zoom_out" not in vessels.reasons
    assert vessels.config.infer.scales == [1.0] and "infer.scales" not in vessels.reasons
    assert scenes.config.infer.scales == [round(2 / (1 + scenes.config.augment.zoom_out), 2)]
    assert scenes.config.train.ema == vessels.config.train.ema == 0.995


def test_the_zoom_follows_a_patch_size_given_on_the_command_line(tmp_path):
    from tests.conftest import write_scene_dataset
    root = write_scene_dataset(tmp_path / "scenes", count=6, size=(128, 160))
    plan = make_plan([f"data.root={root}", "data.patch_size=32"], probe=False)
    assert plan.fingerprint.layout.upright and plan.config.augment.zoom_out == 4.0   # 128 / 32
    assert plan.config.infer.scales == [0.4]                                          # 2 / (1 + 4)
    plan = make_plan([f"data.root={root}", "data.patch_size=64"], probe=False)
    assert plan.config.augment.zoom_out == 2.0 and plan.config.infer.scales == [0.67]
    plan = make_plan([f"data.root={root}", "data.patch_size=64", "augment.zoom_out=1"], probe=False)
    assert plan.config.augment.zoom_out == 1.0 and plan.config.infer.scales == [1.0]   # the user's zoom
    plan = make_plan([f"data.root={root}", "data.patch_size=64", "augment.enabled=false"], probe=False)
    assert plan.config.infer.scales == [1.0]                                         # no crops were shrunk


def test_a_zoomed_out_model_is_predicted_at_the_median_scale_it_learned():
    """infer.scales from augment.zoom_out: crops of patch x U[1, zoom] per side shrunk to the patch were
    seen at scales 1/U[1, zoom], whose median is 2 / (1 + zoom)."""
    from unetkit.train.plan import scales_choice
    scales, why = scales_choice(2.0)
    assert scales == [0.67] and "median scale" in why and "docs/benchmarks.md" in why
    assert scales_choice(1.0)[0] == [1.0] and scales_choice(3.0)[0] == [0.5]


def test_model_auto_lets_the_plan_choose_and_says_why(synthetic_root, tmp_path):
    """model.name=auto (issue 29) is the plan's own choice (issue 42): colour images of one camera (DRIVE: a
    pretrained start won) train the scratch U-Net when the weights are not cached, saying which would help;
    grey ones (rock_voc, ISBI: level) the scratch U-Net, and the reason names the measurement behind that."""
    from unetkit.train.plan import make_plan

    from ..conftest import write_disk_dataset
    plan = make_plan([f"data.root={synthetic_root}", "model.name=auto"], probe=False)
    assert plan.config.model.name == "unet" and plan.config.model.base_channels > 0
    assert "would help" in plan.reasons["model.name"] and "DRIVE" in plan.reasons["model.name"]
    grey = make_plan([f"data.root={write_disk_dataset(tmp_path / 'disks', {'train': 4})}", "model.name=auto"],
                     probe=False)
    assert grey.config.model.name == "unet" and "level with it" in grey.reasons["model.name"]
    assert "ISBI" in grey.reasons["model.name"] and "docs/benchmarks.md" in grey.reasons["model.name"]
    assert "model.name" not in plan.user_keys
    chosen = make_plan([f"data.root={synthetic_root}", "model.name=resnet18_unet"], probe=False)
    assert chosen.config.model.name == "resnet18_unet" and chosen.reasons["model.name"] == "set on the command line"
