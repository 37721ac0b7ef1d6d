"""Attention U-Net and UNet++: what makes them more than the plain U-Net, and that they train."""
import pytest
import torch

from unetkit.cli import main
from unetkit.models import build_model
from unetkit.models.attention_unet import AttentionGate

from ..conftest import tiny_overrides


def test_attention_gate_scales_the_skip_by_a_map_in_0_1():
    torch.manual_seed(0)
    gate = AttentionGate(8, 8, 4, "batch").eval()
    skip, signal = torch.randn(2, 8, 16, 16), torch.randn(2, 8, 16, 16)
    alpha = gate.psi(gate.skip(skip) + gate.gate(signal))
    assert alpha.shape == (2, 1, 16, 16) and (alpha > 0).all() and (alpha < 1).all()
    assert torch.allclose(gate(skip, signal), skip * alpha)


def test_attention_unet_differs_from_its_plain_unet_only_by_the_gates():
    attention = build_model("attention_unet", 3, 2, base_channels=4, depth=2)
    plain = build_model("unet", 3, 2, base_channels=4, depth=2)
    extra = set(attention.state_dict()) - set(plain.state_dict())
    assert extra and all(key.startswith("gates.") for key in extra)
    assert set(plain.state_dict()) <= set(attention.state_dict())


def test_unetpp_deep_supervision_trains_every_head():
    model = build_model("unetpp", 3, 2, base_channels=4, depth=3, deep_supervision=True)
    assert len(model.heads) == 3 and len(model.nodes) == 4 + 3 + 2 + 1  # the nested grid of nodes
    model(torch.randn(2, 3, 16, 16)).sum().backward()
    assert all(head.weight.grad is not None and head.weight.grad.abs().sum() > 0 for head in model.heads)


@pytest.mark.parametrize("name", ["attention_unet", "unetpp"])
def test_trains_through_the_command_line(tmp_path, synthetic_root, name):
    assert main(["train", "--out", str(tmp_path / name), *tiny_overrides(synthetic_root), f"model.name={name}",
                 "train.epochs=1"]) == 0
    assert (tmp_path / name / "best.pt").is_file()


def test_attention_unet_routes_every_skip_through_its_gate():
    torch.manual_seed(0)
    model = build_model("attention_unet", 3, 2, base_channels=4, depth=2, norm="batch").eval()
    image = torch.randn(1, 3, 16, 16)
    with torch.no_grad():
        before = model(image)
        for gate in model.gates:  # psi's last conv: bias -30 -> alpha ~ 0, the skip is shut
            gate.psi[1].bias.fill_(-30.0)
        after = model(image)
    assert not torch.allclose(before, after, atol=1e-4)
