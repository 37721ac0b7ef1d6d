import re

import pytest

from unetkit.config import (
    Config,
    config_for_checkpoint,
    load_config,
    save_config,
)
from unetkit.errors import ConfigError
from unetkit.losses import LOSSES


def test_defaults_and_overrides_are_typed():
    config = load_config(None, ["train.epochs=50", "model.base_channels=32", "train.lr=1e-4",
                                "augment.flips=false", "data.root=/x", "data.val_images=39,40"])
    assert config.train.epochs == 50 and isinstance(config.train.epochs, int)
    assert config.train.lr == pytest.approx(1e-4)
    assert config.augment.flips is False
    assert config.data.val_images == ["39", "40"]
    assert config.data.class_names == ["background", "foreground"]


def test_yaml_file_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  root: /data\n  num_classes: 3\ntrain:\n  epochs: 7\n")
    config = load_config(path, ["train.epochs=9"])
    assert config.train.epochs == 9 and config.data.num_classes == 3
    assert config.data.class_names == ["class_0", "class_1", "class_2"]


@pytest.mark.parametrize("override, words", [
    ("train.epochz=3", "unknown config key 'train.epochz'"),
    ("trian.epochs=3", "unknown config section 'trian'"),
    ("train.epochs=many", "config key 'train.epochs' expects an integer"),
    ("train.lr=fast", "config key 'train.lr' expects a number"),
    ("model.padding=full", "config key 'model.padding' must be one of same, valid"),
    ("augment.flips=maybe", "config key 'augment.flips' expects true/false"),
    ("epochs", "must look like key=value"),
    ("infer.batch=-1", "'infer.batch' must be >= 0 (0 = auto)"),
    ("infer.grid=random", "config key 'infer.grid' must be one of aligned, flush"),
    ("train.compile=yes please", "config key 'train.compile' expects true/false"),
    ("train.compile_mode=fast", "config key 'train.compile_mode' must be one of default, reduce-overhead"),
    ("data.ignore_index=1", "config key 'data.ignore_index' must be in 2..255"),
    ("data.ignore_index=300", "config key 'data.ignore_index' must be in 2..255"),
])
def test_bad_overrides_name_the_key(override, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        load_config(None, ["data.root=/x", override])


def test_unknown_key_in_yaml_names_it(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  base_chanels: 8\n")
    with pytest.raises(ConfigError, match="unknown config key 'model.base_chanels'"):
        load_config(path)


def test_bce_needs_binary():
    with pytest.raises(ConfigError, match="bce"):
        load_config(None, ["data.root=/x", "data.num_classes=3", "train.loss=bce"])
    config = load_config(None, ["data.root=/x", "train.loss=bce"])
    assert LOSSES[config.train.loss].output_channels(config.data.num_classes) == 1
    config = load_config(None, ["data.root=/x", "data.num_classes=5"])
    assert LOSSES[config.train.loss].output_channels(config.data.num_classes) == 5


def test_saved_config_round_trips(tmp_path):
    config = load_config(None, ["data.root=/x", "model.depth=3"])
    save_config(config, tmp_path / "config.yaml")
    assert load_config(tmp_path / "config.yaml") == config


def test_checkpoint_config_keeps_model_keys():
    saved = load_config(None, ["data.root=/a", "data.channels=1"])
    merged = config_for_checkpoint(saved, None, ["data.root=/b"])
    assert merged.data.root == "/b" and merged.data.channels == 1
    with pytest.raises(ConfigError, match="data.channels=3 does not match"):
        config_for_checkpoint(saved, None, ["data.channels=3"])


def test_shipped_configs_load():
    from pathlib import Path
    for path in sorted((Path(__file__).parents[1] / "configs").glob("*.yaml")):
        assert isinstance(load_config(path), Config), path


def test_colour_tables_list_one_colour_per_class(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("data:\n  root: /x\n  mask: index\n  colors: [[0, 0, 0], [255, 0, 0]]\n")
    assert load_config(good).data.colors == [[0, 0, 0], [255, 0, 0]]
    bad = tmp_path / "bad.yaml"
    bad.write_text("data:\n  root: /x\n  mask: index\n  colors: [[0, 0, 0]]\n")
    with pytest.raises(ConfigError, match="'data.colors' must list 2 \\[R, G, B\\] colours"):
        load_config(bad)


def test_a_files_options_for_another_network_are_left_out_with_one_line(caplog):
    """configs/demo.yaml sets the U-Net's width and depth; `model.encoder=...` on the command line chooses the
    encoder U-Net, which takes neither: they go, with one line (issue 42), where before training stopped on
    `model.base_channels=16 does not apply to model 'encoder_unet'`, a key the user never typed."""
    import logging
    with caplog.at_level(logging.WARNING, logger="unetkit.config.loading"):
        config = load_config("configs/demo.yaml", ["model.encoder=tu-efficientnet_b0"])
    assert config.model.name == "encoder_unet" and (config.model.base_channels, config.model.depth) == (32, 4)
    lines = [record.getMessage() for record in caplog.records]
    assert lines == ["configs/demo.yaml: model.base_channels=16, model.depth=3 are for another network: model "
                     "'encoder_unet' takes encoder, encoder_depth, up, decoder_width, head_kernel; left out"]
    typed = load_config("configs/demo.yaml", ["model.encoder=tu-efficientnet_b0", "model.depth=3"])
    from unetkit.train.setup import model_args_for
    with pytest.raises(ConfigError, match="model.depth=3 does not apply to model 'encoder_unet'"):
        model_args_for(typed)   # typed on the command line for the wrong network: an error, as before
