"""Settings that belong to one registered piece (config/options.py): declared beside the piece, set as
`section.piece.option` or as the earlier layout's flat keys, validated by the piece's rules, saved."""
import dataclasses
from dataclasses import dataclass

import pytest
import torch

from unetkit.config import at_least, load_config, option, options_of, save_config, to_dict
from unetkit.config.options import pieces_with_options
from unetkit.errors import ConfigError
from unetkit.losses import LOSSES, Loss, TverskyOptions, build_loss

BASE = ["data.format=synthetic"]


def _every_piece():
    return [(section, name, options) for section in ("data", "train")
            for name, options in pieces_with_options(section).items()]


@pytest.mark.parametrize("section, name, options", _every_piece(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_piece_declares_typed_documented_settings_whose_defaults_pass(section, name, options):
    assert dataclasses.fields(options)
    for field in dataclasses.fields(options):
        assert field.metadata.get("help"), f"{section}.{name}.{field.name} has no help"
        rule = field.metadata.get("rule")
        assert rule is None or rule[0](getattr(options(), field.name)), f"{section}.{name}.{field.name}"


@pytest.mark.parametrize("section, name, options", _every_piece(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_earlier_flat_keys_set_the_same_value_as_the_nested_ones(section, name, options):
    for legacy, field_name in getattr(options, "LEGACY_KEYS", {}).items():
        default = getattr(options(), field_name)
        value = default * 2 + 1 if isinstance(default, (int, float)) and not isinstance(default, bool) else "0-3"
        if name == "focal" and field_name == "alpha":
            value = 0.25   # in [0, 1)
        if name == "sgd" or (name == "plateau" and field_name == "factor"):
            value = 0.25   # in (0, 1), not the default
        old = load_config(None, [*BASE, f"{legacy}={value}"])
        new = load_config(None, [*BASE, f"{section}.{name}.{field_name}={value}"])
        assert getattr(options_of(getattr(old, section), name), field_name) == pytest.approx(value) \
            if not isinstance(value, str) else getattr(options_of(getattr(old, section), name), field_name) == value
        assert to_dict(old)[section][name] == to_dict(new)[section][name]


def test_a_yaml_mapping_sets_a_piece_and_saving_writes_the_chosen_pieces(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data: {format: synthetic}\ntrain:\n  loss: ce+tversky\n  tversky: {alpha: 0.4, beta: 0.6}\n"
                    "  schedule: step\n  step: {gamma: 0.5}\n")
    config = load_config(path)
    assert options_of(config.train, "tversky").alpha == 0.4 and options_of(config.train, "step").gamma == 0.5
    saved = to_dict(config)["train"]
    # every option of the chosen piece, set or default (a new option adds itself here)
    assert saved["tversky"] == dataclasses.asdict(TverskyOptions(alpha=0.4, beta=0.6)) and saved["step"]["epochs"] == 10
    assert saved["tversky"]["gamma"] == 1.0
    assert "focal" not in saved and "pieces" not in saved   # only what is chosen or set
    save_config(config, tmp_path / "again.yaml")
    assert load_config(tmp_path / "again.yaml") == config


@pytest.mark.parametrize("override, words", [
    ("train.tversky.alpha=-1", "config key 'train.tversky.alpha' must be >= 0; got -1"),
    ("train.tversky.delta=1", "unknown config key 'train.tversky.delta' (tversky has: alpha, beta, gamma"),   # + newer options
    ("train.tversky=3", "holds tversky's settings: a mapping"),
    ("train.ce.smooth=1", "'ce' has no settings"),
    ("train.focal_gamma=abc", "config key 'train.focal_gamma' expects a number"),
    ("train.sgd.momentum=1", "config key 'train.sgd.momentum' must be in [0, 1)"),
    ("data.isbi.val_slices=x-y", "config key 'data.isbi.val_slices' must be a slice list such as 0-24"),
    ("train.pieces={}", "unknown config key 'train.pieces'"),
])
def test_wrong_piece_settings_are_one_line_naming_the_key(override, words):
    with pytest.raises(ConfigError) as error:
        load_config(None, [*BASE, "train.loss=tversky", override])
    assert words in str(error.value) and "\n" not in str(error.value)


def test_a_new_piece_option_is_one_declaration_that_reaches_the_function():
    """What 'adding an option to a loss is an edit in one file' means: the dataclass beside the
    function is all the config, the validation and the call need."""
    @dataclass
    class ScaledOptions:
        scale: float = option(1.0, "multiplies the cross-entropy", at_least(0))

    def scaled_ce(logits, labels, weights=None, *, ignore_index, class_weights, scale):
        return scale * build_loss("ce")(logits, labels)

    with LOSSES.registered("scaled_ce_test", Loss("scaled_ce_test", scaled_ce, options=ScaledOptions)):
        config = load_config(None, [*BASE, "train.loss=scaled_ce_test", "train.scaled_ce_test.scale=3"])
        logits, labels = torch.randn(2, 2, 8, 8), torch.randint(0, 2, (2, 8, 8))
        tripled = build_loss("scaled_ce_test", train=config.train)(logits, labels)
        assert tripled.item() == pytest.approx(3 * build_loss("ce")(logits, labels).item(), rel=1e-5)
        with pytest.raises(ConfigError, match="scaled_ce_test.scale' must be >= 0"):
            load_config(None, [*BASE, "train.loss=scaled_ce_test", "train.scaled_ce_test.scale=-1"])
