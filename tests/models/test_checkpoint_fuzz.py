"""Fuzz checkpoint loading (issue 15): a real checkpoint (.pt or .safetensors) truncated, with bytes
flipped or junk inserted, loads as a working model or is one CheckpointError naming the file."""
import io

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from unetkit.errors import CheckpointError
from unetkit.models import (
    ModelMeta,
    Normalization,
    build_model,
    load_model,
    save_checkpoint,
)
from unetkit.models.checkpoint import checkpoint_state, save_safetensors

from ..fuzzing import fuzz


@pytest.fixture(scope="module")
def checkpoint_bytes(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model("unet", 3, 2, base_channels=4, depth=2)
    meta = ModelMeta(["background", "vessel"], Normalization((0.5, 0.4, 0.3), (0.2, 0.2, 0.2)),
                     run_config={"infer": {"tile": 64}})
    folder = tmp_path_factory.mktemp("fuzz_checkpoint")
    save_checkpoint(folder / "m.pt", model, meta, {"train_state": {"epoch": 1}})
    save_safetensors(folder / "m.safetensors", checkpoint_state(model, meta))
    return {".pt": (folder / "m.pt").read_bytes(), ".safetensors": (folder / "m.safetensors").read_bytes()}


@st.composite
def damage(draw, size):
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "zero_run"]))
    if kind == "truncate":
        return kind, draw(st.integers(0, size - 1)), 0
    return kind, draw(st.integers(0, size - 1)), draw(st.integers(1, 255))


def _apply(data: bytes, kind: str, at: int, value: int) -> bytes:
    if kind == "truncate":
        return data[:at]
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ value]) + data[at + 1:]
    if kind == "insert":
        return data[:at] + bytes([value]) * 7 + data[at:]
    return data[:at] + bytes(value) + data[at + value:]   # a run of zero bytes, as a bad sector reads


def _load_or_refuse(path):
    try:
        model, meta = load_model(path)
    except CheckpointError as error:
        assert path.name in str(error) and "\n" not in str(error).strip(), str(error)
        return None
    with torch.no_grad():   # what loaded must be usable: the right classes and an output of the right shape
        output = model(torch.zeros(1, 3, 16, 16))
    assert output.shape == (1, 2, 16, 16) and len(meta.class_names) == 2
    return model


@fuzz(150)
@given(data=st.data(), suffix=st.sampled_from([".pt", ".safetensors"]))
def test_damaged_checkpoints_load_or_are_one_error(tmp_path, checkpoint_bytes, data, suffix):
    original = checkpoint_bytes[suffix]
    kind, at, value = data.draw(damage(len(original)))
    path = tmp_path / f"damaged{suffix}"
    path.write_bytes(_apply(original, kind, at, value))
    _load_or_refuse(path)


@fuzz(100)
@given(state=st.dictionaries(st.sampled_from(["model", "model_name", "model_args", "in_channels", "out_channels",
                                              "class_names", "normalization", "format_version", "config"]),
                             st.one_of(st.none(), st.integers(-3, 5), st.text(max_size=5),
                                       st.lists(st.integers(0, 3), max_size=3),
                                       st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)),
                             max_size=9))
def test_well_formed_files_with_wrong_contents(tmp_path, state):
    """A readable torch file whose keys are missing or of the wrong type: still one error."""
    path = tmp_path / "odd.pt"
    buffer = io.BytesIO()
    torch.save(state, buffer)
    path.write_bytes(buffer.getvalue())
    try:
        load_model(path)
    except CheckpointError as error:
        assert "odd.pt" in str(error)
