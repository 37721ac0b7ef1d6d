"""Fuzz config files and key=value overrides (issue 15): any text gives a Config that passed
validation, or one ConfigError line naming the key or file, never another exception."""
import dataclasses

import yaml
from hypothesis import given
from hypothesis import strategies as st

from unetkit.config import Config, load_config
from unetkit.errors import ConfigError

from ..fuzzing import fuzz

KEYS = sorted(f"{section.name}.{item.name}" for section in dataclasses.fields(Config)
              for item in dataclasses.fields(section.type if isinstance(section.type, type) else
                                             type(getattr(Config(), section.name))))
VALUES = st.one_of(
    st.text(max_size=20), st.integers(-10**20, 10**20).map(str), st.floats(allow_nan=True).map(str),
    st.sampled_from(["", "true", "no", "null", "[]", "[1, 2]", "[[1,2,3]]", "1e400", "-0", "nan", "inf", "{a: 1}",
                     "auto", "ce+dice", "ce+", "+", "valid", "0x10", "1_000", "\x00", "é", "[1,", "a=b"]),
)


def _one_line(error):
    assert "\n" not in str(error).strip(), str(error)


@fuzz(600)
@given(pairs=st.lists(st.tuples(st.sampled_from(KEYS), VALUES), min_size=1, max_size=4))
def test_overrides_give_a_config_or_one_config_error(pairs):
    overrides = [f"{key}={value}" for key, value in pairs]
    try:
        config = load_config(None, overrides)
    except ConfigError as error:
        _one_line(error)
        return
    assert isinstance(config, Config)


@fuzz(300)
@given(text=st.text(max_size=40), key=st.text(max_size=20), value=VALUES)
def test_malformed_overrides_and_unknown_keys(text, key, value):
    for override in (text, f"{key}={value}", f"train.{key}={value}", f"{key}.epochs={value}"):
        try:
            load_config(None, [override])
        except ConfigError as error:
            _one_line(error)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=10))
TREES = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(st.sampled_from(["data", "model", "train", "infer", "augment",
                                                                      "epochs", "root", "name", "lr", "x"]),
                                                    children, max_size=4)), max_leaves=12)


@fuzz(300)
@given(tree=TREES)
def test_yaml_files_give_a_config_or_one_config_error(tmp_path, tree):
    path = tmp_path / "fuzzed.yaml"
    path.write_text(yaml.safe_dump(tree))
    try:
        load_config(path)
    except ConfigError as error:
        _one_line(error)
        assert "fuzzed.yaml" in str(error) or "config key" in str(error) or "data." in str(error), str(error)


@fuzz(200)
@given(data=st.binary(max_size=300))
def test_yaml_bytes_that_are_not_yaml(tmp_path, data):
    path = tmp_path / "binary.yaml"
    path.write_bytes(data)
    try:
        load_config(path)
    except ConfigError as error:
        _one_line(error)
