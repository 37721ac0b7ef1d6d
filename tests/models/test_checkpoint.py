import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from unetkit import Predictor
from unetkit.errors import CheckpointError
from unetkit.models import (
    ModelMeta,
    Normalization,
    build_model,
    load_checkpoint,
    load_model,
    save_checkpoint,
)

PREVIOUS_MAIN = Path(__file__).parents[1] / "fixtures" / "previous_main"


def _model_and_meta():
    torch.manual_seed(0)
    model = build_model("unet", 3, 2, base_channels=4, depth=2)
    meta = ModelMeta(["background", "vessel"], Normalization((0.5, 0.4, 0.3), (0.2, 0.2, 0.2)))
    return model, meta


def test_atomic_save_leaves_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    model, meta = _model_and_meta()
    save_checkpoint(path, model, meta)
    before = load_checkpoint(path)["model"]

    def broken_save(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(torch, "save", broken_save)
    with torch.no_grad():
        next(model.parameters()).add_(1.0)
    with pytest.raises(OSError):
        save_checkpoint(path, model, meta)
    monkeypatch.undo()
    after = load_checkpoint(path)["model"]
    assert all(torch.equal(before[key], after[key]) for key in before)
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temporary files left behind


def test_round_trip_rebuilds_the_model_from_its_own_arguments(tmp_path):
    model, meta = _model_and_meta()
    save_checkpoint(tmp_path / "m.pt", model, meta, {"train_state": {"epoch": 3}})
    state = load_checkpoint(tmp_path / "m.pt")
    assert state["model_name"] == "unet" and state["model_args"] == {"base_channels": 4, "depth": 2}
    assert state["in_channels"] == 3 and state["out_channels"] == 2 and state["train_state"] == {"epoch": 3}
    loaded, loaded_meta = load_model(tmp_path / "m.pt")
    assert loaded_meta == meta and not loaded.training
    image = torch.randn(1, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(loaded(image), model.eval()(image))


def test_model_not_made_by_build_model_is_refused(tmp_path):
    from unetkit.models import UNet
    with pytest.raises(ValueError, match="build_model"):
        save_checkpoint(tmp_path / "m.pt", UNet(3, 2, base_channels=4, depth=2), _model_and_meta()[1])


class Evil:
    def __reduce__(self):
        return (print, ("arbitrary code ran",))


def test_refuses_arbitrary_pickles(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as file:
        pickle.dump({"model": Evil(), "config": {}}, file)
    with pytest.raises(CheckpointError, match="evil.pt: not a readable checkpoint"):
        load_checkpoint(path)
    torch.save({"model": Evil()}, path)   # torch's own pickle protocol: the unpickler names the global it refuses
    with pytest.raises(CheckpointError, match="evil.pt: refused: it holds Python objects other than weights "
                       r"\(.*print\); unetkit loads weights only"):
        load_checkpoint(path)


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "none.pt")
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a unetkit checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match="junk.pt: not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")


def test_random_bytes_are_a_checkpoint_error(tmp_path):
    """Before: about 3 % of random files escaped torch.load as IndexError / KeyError / struct.error
    (seeds 64, 81, 85, 513, ... of this loop)."""
    path = tmp_path / "random.pt"
    for seed in range(600):
        rng = np.random.default_rng(seed)
        prefix = [b"", b"\x80\x02", b"PK\x03\x04", b"\x80\x04\x95"][seed % 4]
        path.write_bytes(prefix + rng.integers(0, 256, int(rng.integers(0, 2000)), dtype=np.uint8).tobytes())
        with pytest.raises(CheckpointError, match="random.pt: not a readable checkpoint|random.pt: refused"):
            load_checkpoint(path)


def test_unknown_model_name_is_a_clear_error(tmp_path):
    model, meta = _model_and_meta()
    save_checkpoint(tmp_path / "m.pt", model, meta)
    state = torch.load(tmp_path / "m.pt", weights_only=True)
    torch.save({**state, "model_name": "transunet"}, tmp_path / "other_model.pt")
    with pytest.raises(CheckpointError, match="model 'transunet' is not available"):
        load_model(tmp_path / "other_model.pt")


@pytest.mark.parametrize("name, out_channels", [("v1_same_ce", 2), ("v1_valid_bce", 1)])
def test_checkpoints_of_the_previous_main_load_and_predict_identically(name, out_channels):
    model, meta = load_model(PREVIOUS_MAIN / f"{name}.pt")
    assert model.spec.out_channels == out_channels and meta.class_names == ["background", "foreground"]
    assert meta.run_config["model"]["base_channels"] == 4
    predictor = Predictor.from_checkpoint(PREVIOUS_MAIN / f"{name}.pt", device="cpu", precision="fp32")
    probabilities = predictor.probabilities(np.load(PREVIOUS_MAIN / "image.npy")).numpy()
    expected = np.load(PREVIOUS_MAIN / f"{name}_probs.npy")
    assert probabilities.shape == expected.shape
    assert np.abs(probabilities - expected).max() < 1e-5


def test_version_1_checkpoints_upgrade_to_the_current_schema_or_say_what_is_missing(tmp_path):
    """Found by `make mutants` (issue 31): the upgrade's result keys, a model other than the default
    U-Net, and both refusals with their messages."""
    from unetkit.models.checkpoint import FORMAT_VERSION, select_model_args
    state = torch.load(PREVIOUS_MAIN / "v1_same_ce.pt", weights_only=True)
    upgraded = load_checkpoint(PREVIOUS_MAIN / "v1_same_ce.pt")
    assert upgraded["format_version"] == FORMAT_VERSION and upgraded["ignore_index"] == 255
    assert upgraded["model_name"] == "unet" and upgraded["in_channels"] == 3 and upgraded["out_channels"] == 2
    torch.manual_seed(0)
    config = {**state["config"], "model": {**state["config"]["model"], "name": "attention_unet"}}
    other = build_model("attention_unet", 3, 2, **select_model_args("attention_unet", config["model"]))
    torch.save({**state, "model": other.state_dict(), "config": config}, tmp_path / "v1_attention.pt")
    model, _ = load_model(tmp_path / "v1_attention.pt")
    assert model.spec.name == "attention_unet"
    without_name = {**state, "config": {**state["config"], "model": {k: v for k, v in state["config"]["model"].items()
                                                                      if k != "name"}}}
    torch.save(without_name, tmp_path / "v1_no_name.pt")
    assert load_checkpoint(tmp_path / "v1_no_name.pt")["model_name"] == "unet"     # version 1's default
    torch.save({k: v for k, v in state.items() if k != "normalization"}, tmp_path / "v1_no_norm.pt")
    with pytest.raises(CheckpointError, match=r"v1_no_norm.pt: not a unetkit checkpoint \(no model weights and config"):
        load_checkpoint(tmp_path / "v1_no_norm.pt")
    torch.save({**state, "config": {k: v for k, v in state["config"].items() if k != "train"}}, tmp_path / "v1_part.pt")
    with pytest.raises(CheckpointError, match=r"v1_part.pt: version-1 checkpoint with an incomplete config \('train'\)"):
        load_checkpoint(tmp_path / "v1_part.pt")


def test_the_one_line_for_each_kind_of_unreadable_file():
    """_why_unreadable's text, word for word, for torch's two phrasings of a refused global, a refusal that
    names none, an OS error and anything else (found by `make mutants`, issue 31)."""
    from unetkit.models.checkpoint import _why_unreadable
    tail = "; unetkit loads weights only and never runs code from a checkpoint"
    refused = "refused: it holds Python objects other than weights"
    assert _why_unreadable(pickle.UnpicklingError("Unsupported global: GLOBAL os.system was not an allowed global")) \
        == f"{refused} (os.system){tail}"
    assert _why_unreadable(pickle.UnpicklingError("found GLOBAL builtins.eval")) == f"{refused} (builtins.eval){tail}"
    assert _why_unreadable(pickle.UnpicklingError("Unsupported global: something")) == f"{refused}{tail}"
    assert _why_unreadable(pickle.UnpicklingError("invalid load key, 'x'.")) == \
        "not a readable checkpoint: corrupt, truncated or not a PyTorch file (UnpicklingError)"
    assert _why_unreadable(PermissionError(13, "Permission denied")) == "cannot be read (Permission denied)"
    assert _why_unreadable(ValueError("bad")) == \
        "not a readable checkpoint: corrupt, truncated or not a PyTorch file (ValueError)"


def test_update_stored_settings_merges_into_the_section_and_keeps_the_weights(tmp_path):
    """Found by `make mutants` (issue 31): the changed keys join the section's others (a new section is
    made), the file still loads, its weights are the same."""
    from unetkit.models.checkpoint import update_stored_settings
    model, meta = _model_and_meta()
    meta = ModelMeta(meta.class_names, meta.normalization, run_config={"infer": {"tta": True}})
    save_checkpoint(tmp_path / "m.pt", model, meta)
    update_stored_settings(tmp_path / "m.pt", "infer", {"temperature": 1.5})
    update_stored_settings(tmp_path / "m.pt", "calibration", {"ece_after": 0.01})
    state = load_checkpoint(tmp_path / "m.pt")
    assert state["config"]["infer"] == {"tta": True, "temperature": 1.5}
    assert state["config"]["calibration"] == {"ece_after": 0.01}
    assert all(torch.equal(state["model"][k], v) for k, v in model.state_dict().items())


def test_a_broken_safetensors_file_is_one_line_naming_what_is_wrong(tmp_path):
    from safetensors.torch import save_file

    from unetkit.models.checkpoint import SAFETENSORS_METADATA, checkpoint_state, save_safetensors
    model, meta = _model_and_meta()
    save_safetensors(tmp_path / "m.safetensors", checkpoint_state(model, meta))
    assert load_checkpoint(tmp_path / "m.safetensors")["class_names"] == ["background", "vessel"]
    save_file({"w": torch.zeros(2)}, tmp_path / "plain.safetensors")
    with pytest.raises(CheckpointError, match=r"plain.safetensors: not a unetkit .safetensors file \('"
                       + SAFETENSORS_METADATA + r"'\)$"):
        load_checkpoint(tmp_path / "plain.safetensors")
    save_file({"w": torch.zeros(2)}, tmp_path / "list.safetensors", metadata={SAFETENSORS_METADATA: "[1, 2]"})
    with pytest.raises(CheckpointError, match=r"list.safetensors: not a unetkit .safetensors file \(its '"
                       + SAFETENSORS_METADATA + r"' entry\)$"):
        load_checkpoint(tmp_path / "list.safetensors")
    save_file({"w": torch.zeros(2)}, tmp_path / "bare.safetensors", metadata={SAFETENSORS_METADATA: "{\"format_version\": 2}"})
    with pytest.raises(CheckpointError, match=r"^\S*bare.safetensors: not a unetkit checkpoint \(missing "):
        load_checkpoint(tmp_path / "bare.safetensors")   # the schema's refusal names the file too
    (tmp_path / "cut.safetensors").write_bytes((tmp_path / "m.safetensors").read_bytes()[:40])
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(tmp_path / "cut.safetensors")
    assert "\n" not in str(raised.value) and str(raised.value).startswith(f"{tmp_path / 'cut.safetensors'}: not a")


@pytest.mark.parametrize("raised, shown", [(ValueError(""), "(ValueError)"),
                                           (OSError("x" * 300 + "\nsecond line"), "(" + "x" * 160 + ")")])
def test_a_safetensors_reader_error_is_named_by_its_first_line_or_its_type(tmp_path, monkeypatch, raised, shown):
    """Found by `make mutants` (issue 31): an error without a message is named by its type; a long one
    by its first line, cut at 160 characters."""
    import safetensors

    def broken(*args, **kwargs):
        raise raised
    monkeypatch.setattr(safetensors, "safe_open", broken)
    (tmp_path / "m.safetensors").write_bytes(b"\0" * 16)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(tmp_path / "m.safetensors")
    assert str(error.value) == f"{tmp_path / 'm.safetensors'}: not a unetkit .safetensors file {shown}"


def test_every_meta_field_survives_the_round_trip_and_old_checkpoints_get_defaults(tmp_path):
    """Found by `make mutants` (issue 31): ignore label, run config, class weights and the ROI record are written
    and read back; a checkpoint without them gets 255, None, None, and 'trained with ROI' only for DRIVE runs."""
    model, _ = _model_and_meta()
    meta = ModelMeta(["a", "b"], Normalization((0.5,) * 3, (0.2,) * 3), ignore_index=7,
                     run_config={"data": {"format": "folder"}}, class_weights=[0.3, 1.7], trained_with_roi=True)
    save_checkpoint(tmp_path / "m.pt", model, meta)
    assert load_model(tmp_path / "m.pt")[1] == meta
    state = load_checkpoint(tmp_path / "m.pt")
    for key in ("ignore_index", "config", "class_weights", "trained_with_roi"):
        del state[key]
    from unetkit.models.checkpoint import model_from_state
    old = model_from_state(state)[1]
    assert (old.ignore_index, old.run_config, old.class_weights, old.trained_with_roi) == (255, None, None, False)
    for config, expected in (({"data": {"format": "drive"}}, True), ({"data": {"format": "folder"}}, False),
                             ({"data": None}, False), ({}, False), (None, False)):
        assert model_from_state({**state, "config": config})[1].trained_with_roi is expected, config
    assert model_from_state({**state, "config": {"data": {"format": "drive"}}, "trained_with_roi": False})[1] \
        .trained_with_roi is False
    assert model_from_state({**state, "trained_with_roi": 1})[1].trained_with_roi is True


def test_what_cannot_be_rebuilt_is_named_with_the_file(tmp_path):
    """Found by `make mutants` (issue 31): each refusal of model_from_state / load_model names the file and why."""
    from unetkit.models import MODELS
    from unetkit.models.checkpoint import model_from_state
    model, meta = _model_and_meta()
    save_checkpoint(tmp_path / "m.pt", model, meta)
    state = load_checkpoint(tmp_path / "m.pt")
    with pytest.raises(CheckpointError) as error:
        model_from_state({**state, "model_name": "nonet"}, "x.pt")
    assert str(error.value) == f"x.pt: model 'nonet' is not available in this unetkit (available: {', '.join(MODELS.names())})"
    with pytest.raises(CheckpointError, match=r"^checkpoint: weights do not fit model 'unet' with its stored arguments "
                                              r"\(Error\(s\) in loading state_dict for UNet:\)$"):
        model_from_state({**state, "model_args": {"base_channels": 8, "depth": 2}})
    with pytest.raises(CheckpointError,
                       match=r"^checkpoint: not a unetkit checkpoint \(its normalization: KeyError\('mean'\)\)$"):
        model_from_state({**state, "normalization": {"std": [1, 1, 1]}})
    torch.save({**state, "model_args": {"base_channels": 8, "depth": 2}}, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=rf"^{tmp_path / 'bad.pt'}: weights do not fit"):
        load_model(tmp_path / "bad.pt")


@pytest.mark.parametrize("key, value", [("model", {"w": [1.0]}), ("model", {1: torch.zeros(1)}), ("model", [torch.zeros(1)]),
                                        ("in_channels", 0), ("in_channels", True), ("out_channels", 2.0),
                                        ("class_names", []), ("class_names", ["a", 1]), ("class_names", "ab")])
def test_each_schema_type_is_checked(tmp_path, key, value):
    """Found by `make mutants` (issue 31)."""
    model, meta = _model_and_meta()
    save_checkpoint(tmp_path / "m.pt", model, meta)
    state = load_checkpoint(tmp_path / "m.pt")
    torch.save({**state, key: value}, tmp_path / "wrong.pt")
    with pytest.raises(CheckpointError,
                       match=rf"^{tmp_path / 'wrong.pt'}: not a unetkit checkpoint \({key} of the wrong type\)$"):
        load_checkpoint(tmp_path / "wrong.pt")


def test_save_checkpoint_refuses_a_model_it_cannot_rebuild_and_unknown_training_keys(tmp_path):
    model, meta = _model_and_meta()
    with pytest.raises(ValueError, match=r"^save_checkpoint needs a model made by build_model \(it records the model's "
                                         r"name and arguments so the checkpoint can rebuild it\)$"):
        save_checkpoint(tmp_path / "m.pt", torch.nn.Conv2d(3, 2, 1), meta)
    with pytest.raises(ValueError, match=r"^unknown training state keys \['b', 'z'\] \(expected "):
        save_checkpoint(tmp_path / "m.pt", model, meta, {"z": 1, "b": 2, "train_state": {}})
    assert not (tmp_path / "m.pt").exists()


def test_the_schema_refusals_name_what_is_missing_or_wrong_and_unversioned_files_are_version_1(tmp_path):
    """Found by `make mutants` (issue 31): each refusal's text with the keys it names, joined as written;
    a file without format_version is version 1 (upgraded); one class name is a valid list of names."""
    import re

    from unetkit.models.checkpoint import FORMAT_VERSION
    model, meta = _model_and_meta()
    save_checkpoint(tmp_path / "m.pt", model, meta)
    state = load_checkpoint(tmp_path / "m.pt")
    cases = {"no_model.pt": ({k: v for k, v in state.items() if k != "model"}, "no model weights inside"),
             "missing.pt": ({k: v for k, v in state.items() if k not in ("class_names", "normalization")},
                            "missing class_names, normalization"),
             "wrong.pt": ({**state, "model_name": 3, "in_channels": 0}, "model_name, in_channels of the wrong type")}
    for name, (content, words) in cases.items():
        torch.save(content, tmp_path / name)
        with pytest.raises(CheckpointError, match=rf"^{re.escape(str(tmp_path / name))}: not a unetkit checkpoint "
                                                  rf"\({words}\)$"):
            load_checkpoint(tmp_path / name)
    version_1 = torch.load(PREVIOUS_MAIN / "v1_same_ce.pt", weights_only=True)
    version_1.pop("format_version", None)
    torch.save(version_1, tmp_path / "unversioned.pt")
    upgraded = load_checkpoint(tmp_path / "unversioned.pt")
    assert upgraded["format_version"] == FORMAT_VERSION and upgraded["model_name"] == "unet"
    torch.save({**state, "class_names": ["only"]}, tmp_path / "one_class.pt")
    assert load_checkpoint(tmp_path / "one_class.pt")["class_names"] == ["only"]
