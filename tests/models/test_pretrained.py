"""Pretrained encoder weights (issue 29): `imagenet` and tags resolved through the Hugging Face and
torch.hub caches, offline refusals in one line, `unetkit weights fetch/list`, and checkpoints that
never need the network or the cache. Nothing is downloaded: each test writes the cache it reads
(weights of a randomly initialised encoder under the names the resolver expects)."""
import hashlib
import os
import shutil
import socket
from pathlib import Path

import pytest
import torch

from unetkit.cli import main
from unetkit.errors import ConfigError
from unetkit.models import build_model, load_model
from unetkit.models.pretrained import (
    WeightsNotCached,
    cached_weights,
    resolve_weights_file,
    weights_source,
)

from ..conftest import tiny_overrides


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty Hugging Face and torch.hub caches of this test only; downloads off unless a test allows them."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("UNETKIT_OFFLINE", "1")
    return tmp_path


def write_hf_cache(cache: Path, repo_id: str, state: dict) -> Path:
    """A Hugging Face cache entry as huggingface_hub writes it: the blob, a snapshot link, refs/main."""
    from safetensors.torch import save_file
    repo = cache / "hf" / "hub" / f"models--{repo_id.replace('/', '--')}"
    (repo / "blobs").mkdir(parents=True)
    staging = repo / "staging.safetensors"
    save_file({key: value.contiguous() for key, value in state.items()}, str(staging))
    digest = hashlib.sha256(staging.read_bytes()).hexdigest()
    blob = repo / "blobs" / digest
    staging.rename(blob)
    commit = "0" * 40
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "model.safetensors").symlink_to(os.path.relpath(blob, snapshot))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    return snapshot / "model.safetensors"


def timm_state(name: str) -> dict:
    """The full timm model's weights (classifier included), as a published checkpoint holds them."""
    import timm
    torch.manual_seed(123)
    return timm.create_model(name, pretrained=False).state_dict()


def test_imagenet_for_a_timm_encoder_loads_the_cached_file(caches):
    state = timm_state("resnet18d")
    file = write_hf_cache(caches, "timm/resnet18d.ra2_in1k", state)
    assert resolve_weights_file("tu-resnet18d", "imagenet").resolve() == file.resolve()
    model = build_model("encoder_unet", 3, 2, encoder="tu-resnet18d")
    model.load_encoder_weights(resolve_weights_file("tu-resnet18d", "imagenet"))
    loaded = model.encoder.backbone.state_dict()
    shared = [key for key in loaded if key in state]
    assert len(shared) > 50 and "conv1.0.weight" in shared
    for key in shared:
        torch.testing.assert_close(loaded[key], state[key], msg=key)


def test_a_grey_encoder_takes_the_rgb_filters_summed(caches):
    state = timm_state("resnet18d")
    write_hf_cache(caches, "timm/resnet18d.ra2_in1k", state)
    model = build_model("encoder_unet", 1, 2, encoder="tu-resnet18d")
    model.load_encoder_weights(resolve_weights_file("tu-resnet18d", "imagenet"))
    torch.testing.assert_close(model.encoder.backbone.state_dict()["conv1.0.weight"],
                               state["conv1.0.weight"].sum(1, keepdim=True))


def test_a_named_tag_and_a_torchvision_encoder_come_from_torch_hub(caches):
    import torchvision
    torch.manual_seed(5)
    state = {k: v for k, v in torchvision.models.resnet18().state_dict().items()}
    url = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.url
    target = caches / "torch" / "hub" / "checkpoints" / Path(url).name
    target.parent.mkdir(parents=True)
    torch.save(state, target)
    assert resolve_weights_file("resnet18", "imagenet") == target
    assert weights_source("resnet50", "IMAGENET1K_V2").tag == "IMAGENET1K_V2"
    model = build_model("encoder_unet", 3, 2, encoder="resnet18")
    model.load_encoder_weights(target)
    torch.testing.assert_close(model.encoder.backbone.conv1.weight, state["conv1.weight"])


def test_offline_and_not_cached_is_one_line_naming_the_file_and_the_fetch_command(caches):
    with pytest.raises(WeightsNotCached) as error:
        resolve_weights_file("tu-convnext_atto", "imagenet")
    message = str(error.value)
    assert "\n" not in message and "timm/convnext_atto.d2_in1k" in message
    assert "`unetkit weights fetch tu-convnext_atto`" in message and "downloads are off" in message
    with pytest.raises(WeightsNotCached, match=r"resnet34-\w+\.pth.*unetkit weights fetch resnet34"):
        resolve_weights_file("resnet34", "imagenet")


def test_training_offline_without_the_weights_exits_2_before_reading_data(caches, capsys, synthetic_root):
    overrides = [o for o in tiny_overrides(synthetic_root) if not o.startswith("model.")]
    code = main(["train", "--out", str(caches / "run"), *overrides, "model.name=unet",
                 "model.encoder=tu-efficientnet_b0", "model.encoder_weights=imagenet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "efficientnet_b0" in err[0] and "unetkit weights fetch tu-efficientnet_b0" in err[0]
    assert not (caches / "run" / "last.pt").exists()


def test_unknown_tags_and_encoders_say_what_exists(caches):
    with pytest.raises(ConfigError, match="its tags: .*d2_in1k"):
        resolve_weights_file("tu-convnext_atto", "nope_in1k")
    with pytest.raises(ConfigError, match="IMAGENET1K_V1"):
        resolve_weights_file("resnet34", "IMAGENET9K")
    with pytest.raises(ConfigError, match="timm has no model 'no_such_net'"):
        resolve_weights_file("tu-no_such_net", "imagenet")
    with pytest.raises(ConfigError, match="file not found"):
        resolve_weights_file("resnet34", str(caches / "missing.pth"))


def test_fetch_fills_the_cache_and_list_shows_it(caches, monkeypatch, capsys):
    """With downloads allowed, `weights fetch` stores the file where training then finds it (the
    download itself is replaced by a copy: nothing can be downloaded on these machines)."""
    import huggingface_hub
    monkeypatch.delenv("UNETKIT_OFFLINE")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    published = caches / "published"
    write_hf_cache(published, "timm/convnext_atto.d2_in1k", timm_state("convnext_atto"))
    calls = []

    def fake_download(repo_id, filename, **kwargs):
        calls.append((repo_id, filename))
        source = published / "hf" / "hub" / f"models--{repo_id.replace('/', '--')}"
        target = caches / "hf" / "hub" / source.name
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
        return str(target / "snapshots" / ("0" * 40) / filename)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    assert main(["weights", "fetch", "tu-convnext_atto"]) == 0
    assert calls == [("timm/convnext_atto.d2_in1k", "model.safetensors")]
    assert "tu-convnext_atto (d2_in1k)" in capsys.readouterr().out
    monkeypatch.setenv("UNETKIT_OFFLINE", "1")   # now found offline
    assert resolve_weights_file("tu-convnext_atto", "imagenet").is_file()
    assert [entry.name for entry in cached_weights()] == ["timm/convnext_atto.d2_in1k"]
    assert main(["weights", "list"]) == 0
    assert "timm/convnext_atto.d2_in1k" in capsys.readouterr().out


def test_a_trained_checkpoint_needs_neither_the_network_nor_the_cache(caches, monkeypatch, synthetic_root):
    """Trained from cached ImageNet weights; then the cache is gone and sockets refuse to connect:
    the checkpoint loads and predicts (it holds the encoder's weights; its config's `imagenet` is not
    looked up again)."""
    write_hf_cache(caches, "timm/resnet18d.ra2_in1k", timm_state("resnet18d"))
    overrides = [o for o in tiny_overrides(synthetic_root) if not o.startswith("model.")]
    assert main(["train", "--out", str(caches / "run"), *overrides, "model.name=unet", "model.encoder=tu-resnet18d",
                 "model.encoder_weights=imagenet", "train.epochs=1"]) == 0
    shutil.rmtree(caches / "hf")
    monkeypatch.delenv("UNETKIT_OFFLINE")

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    model, meta = load_model(caches / "run" / "best.pt")
    assert model.spec.args["encoder"] == "tu-resnet18d"
    assert meta.normalization.mean == pytest.approx((0.485, 0.456, 0.406))   # the pretrained config's, stored
    assert main(["predict", "--checkpoint", str(caches / "run" / "best.pt"), str(synthetic_root / "test" / "images"),
                 "--out", str(caches / "pred")]) == 0
    assert list((caches / "pred").glob("*.png"))
