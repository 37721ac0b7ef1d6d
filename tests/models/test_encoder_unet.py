"""Encoder U-Nets: torchvision encoders, weights from a local file, features exactly torchvision's."""
import pytest
import torch
import torchvision

from unetkit.cli import main
from unetkit.errors import ConfigError
from unetkit.models import build_model

from ..conftest import tiny_overrides


def _torchvision_file(tmp_path, name, suffix=".pth", prefix=""):
    """A torchvision network with random weights and its state dict in a file (keys starting with
    `prefix` only: VGG16's whole dict is 528 MB, of which the encoder uses the 59 MB of `features.`)."""
    torch.manual_seed(1)
    network = getattr(torchvision.models, name)(weights=None).eval()
    state = {k: v.contiguous() for k, v in network.state_dict().items() if k.startswith(prefix)}
    path = tmp_path / f"{name}{suffix}"
    if suffix == ".safetensors":
        from safetensors.torch import save_file
        save_file(state, str(path))
    else:
        torch.save(state, path)
    return network, path


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_vgg16_encoder_features_are_torchvisions(tmp_path, suffix):
    network, path = _torchvision_file(tmp_path, "vgg16", suffix, prefix="features.")
    model = build_model("vgg16_unet", 3, 5).eval()
    model.load_encoder_weights(path)
    image = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        features = model.encoder(image)
        expected = [network.features[:4](image), network.features[:9](image), network.features[:16](image),
                    network.features[:23](image), network.features[:30](image)]
    assert [f.shape[1] for f in features] == [64, 128, 256, 512, 512]
    for got, want in zip(features, expected):
        assert torch.equal(got, want)


def test_resnet_encoder_features_are_torchvisions(tmp_path):
    network, path = _torchvision_file(tmp_path, "resnet18")
    model = build_model("resnet18_unet", 3, 2).eval()
    model.load_encoder_weights(path)
    image = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        deepest = model.encoder(image)[-1]
        trunk = torch.nn.Sequential(*list(network.children())[:-2])  # all but avgpool and fc
        assert torch.equal(deepest, trunk(image))
        assert model(image).shape == (2, 2, 64, 96)


def test_grey_images_see_the_rgb_filters_summed(tmp_path):
    network, path = _torchvision_file(tmp_path, "resnet18")
    model = build_model("resnet18_unet", 1, 2).eval()
    model.load_encoder_weights(path)
    grey = torch.randn(1, 1, 64, 64)
    with torch.no_grad():
        expected = torch.nn.Sequential(*list(network.children())[:-2])(grey.repeat(1, 3, 1, 1))
        assert torch.allclose(model.encoder(grey)[-1], expected, atol=1e-4)


def test_wrong_weights_file_is_a_one_line_error(tmp_path):
    _, resnet_file = _torchvision_file(tmp_path, "resnet18")
    model = build_model("vgg16_unet", 3, 2)
    with pytest.raises(ConfigError, match=r"resnet18\.pth: not the weights of VGG16Encoder \(missing features"):
        model.load_encoder_weights(resnet_file)
    (tmp_path / "junk.pth").write_bytes(b"not a file of weights")
    with pytest.raises(ConfigError, match="junk.pth: not a readable state dict"):
        model.load_encoder_weights(tmp_path / "junk.pth")


def test_training_with_encoder_weights_from_the_command_line(capsys, tmp_path, synthetic_root):
    _, resnet_file = _torchvision_file(tmp_path, "resnet18")  # the whole dict, fc included
    common = [o for o in tiny_overrides(synthetic_root) if not o.startswith(("model.depth", "model.base"))]
    code = main(["train", "--out", str(tmp_path / "bad"), *common, "model.name=vgg16_unet",
                 f"model.encoder_weights={resnet_file}", "train.epochs=1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "resnet18.pth: not the weights of VGG16Encoder" in err
    code = main(["train", "--out", str(tmp_path / "run"), *common, "model.name=resnet18_unet",
                 f"model.encoder_weights={resnet_file}", "train.epochs=1"])
    assert code == 0
    from unetkit.models import load_checkpoint
    state = load_checkpoint(tmp_path / "run" / "best.pt")
    assert state["normalization"]["mean"] == pytest.approx([0.485, 0.456, 0.406])  # ImageNet statistics
    assert state["model_args"] == {"up": "transpose"} and "encoder_weights" not in state["model_args"]


def test_the_encoder_unet_starts_as_smps_decoder_and_old_checkpoints_keep_their_head(tmp_path):
    """issue 42: a 3x3 head and He-initialised decoder convs (smp's start); a checkpoint written before
    head_kernel was an argument (1x1 head, no head_kernel stored) rebuilds with its own head."""
    import torch

    from unetkit.models import ModelMeta, Normalization, build_model, load_model, save_checkpoint
    torch.manual_seed(0)
    model = build_model("encoder_unet", 3, 2, encoder="resnet18")
    assert model.head.kernel_size == (3, 3) and model.spec.args["head_kernel"] == 3
    conv = model.decoders[0][0]
    fan_in = conv.weight[0].numel()
    assert abs(conv.weight.std().item() - (2 / fan_in) ** 0.5) < 0.1 * (2 / fan_in) ** 0.5   # He, not torch's 1/3
    meta = ModelMeta(["a", "b"], Normalization((0.5,) * 3, (0.25,) * 3))
    save_checkpoint(tmp_path / "new.pt", model, meta)
    assert load_model(tmp_path / "new.pt")[0].head.kernel_size == (3, 3)

    old = build_model("encoder_unet", 3, 2, encoder="resnet18", head_kernel=1)
    old.spec.args.pop("head_kernel")   # as the checkpoints before the argument stored it
    save_checkpoint(tmp_path / "old.pt", old, meta)
    loaded, _ = load_model(tmp_path / "old.pt")
    assert loaded.head.kernel_size == (1, 1)
    assert torch.equal(loaded.head.weight, old.head.weight)
