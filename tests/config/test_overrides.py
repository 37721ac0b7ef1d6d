"""The one reader of key=value settings (config/overrides.py)."""
import pytest

from unetkit.config import parse_override, split_overrides, sweep_values
from unetkit.errors import ConfigError


@pytest.mark.parametrize("item, key, value", [
    ("train.epochs=50", "train.epochs", 50),
    (" train.lr = 0.001", "train.lr", 0.001),
    ("data.colors=[[0,0,0],[255,0,0]]", "data.colors", [[0, 0, 0], [255, 0, 0]]),
    ("model.encoder_weights=", "model.encoder_weights", ""),
    ("data.root=/a=b", "data.root", "/a=b"),
    ("data.class_names=[1,", "data.class_names", "[1,"),     # not YAML: the plain text, checked by the field
    ("train.tversky.alpha=0.4", "train.tversky.alpha", 0.4),
])
def test_parse_override(item, key, value):
    override = parse_override(item)
    assert (override.key, override.value) == (key, value)


@pytest.mark.parametrize("item", ["epochs", "=3", "  =x"])
def test_not_a_setting_is_one_line(item):
    with pytest.raises(ConfigError, match="must look like key=value"):
        parse_override(item)


def test_split_keeps_existing_paths_with_equals_signs(tmp_path):
    odd = tmp_path / "a=b.png"
    odd.write_bytes(b"")
    paths, settings = split_overrides([str(odd), "infer.tile=256", "x.png"])
    assert paths == [str(odd), "x.png"] and settings == ["infer.tile=256"]


def test_sweep_values():
    assert sweep_values("train.epochs=300,600,") == ("train.epochs", ["300", "600"])
    assert sweep_values("train.loss_weights=[1,2]") is None and sweep_values("train.epochs=3") is None


def test_a_list_of_numbers_takes_one_number_or_several():
    """infer.scales=0.75 (a float on the command line) is the list [0.75]; 0.5,1 is two factors."""
    from unetkit.config import load_config
    assert load_config(None, ["data.format=synthetic", "infer.scales=0.75"]).infer.scales == [0.75]
    assert load_config(None, ["data.format=synthetic", "infer.scales=0.5,1"]).infer.scales == [0.5, 1.0]
    with pytest.raises(ConfigError, match="infer.scales"):
        load_config(None, ["data.format=synthetic", "infer.scales=0"])
