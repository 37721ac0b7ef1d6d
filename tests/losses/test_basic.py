import pytest
import torch

from unetkit.losses import build_loss


@pytest.mark.parametrize("name, channels", [("bce", 1), ("ce", 2), ("ce", 4), ("dice", 2), ("dice", 4),
                                            ("ce_dice", 2), ("ce_dice", 1)])
def test_ignored_pixels_do_not_count(name, channels):
    loss_fn = build_loss(name)
    torch.manual_seed(0)
    logits = torch.randn(2, channels, 8, 8, requires_grad=True)
    labels = torch.randint(0, max(channels, 2), (2, 8, 8))
    labels[:, :3] = 255
    loss = loss_fn(logits, labels)
    loss.backward()
    assert torch.isfinite(loss)
    assert logits.grad[:, :, :3].abs().max() == 0  # no gradient flows from ignored pixels
    changed = logits.detach().clone()
    changed[:, :, :3] = 100.0
    assert loss_fn(changed, labels).item() == pytest.approx(loss.item(), rel=1e-6)


@pytest.mark.parametrize("name", ["ce", "dice", "ce_dice"])
def test_perfect_prediction_scores_near_zero(name):
    labels = torch.randint(0, 3, (1, 8, 8))
    logits = torch.nn.functional.one_hot(labels, 3).permute(0, 3, 1, 2).float() * 50
    assert build_loss(name)(logits, labels).item() < 1e-3


def test_all_ignored_batch_gives_zero_loss_with_graph():
    logits = torch.randn(1, 2, 4, 4, requires_grad=True)
    loss = build_loss("ce")(logits, torch.full((1, 4, 4), 255))
    loss.backward()
    assert loss.item() == 0.0


def test_weighted_ce_uses_the_weights():
    torch.manual_seed(0)
    logits, labels = torch.randn(1, 2, 6, 6), torch.randint(0, 2, (1, 6, 6))
    loss = build_loss("weighted_ce")
    assert loss(logits, labels, torch.ones(1, 6, 6)).item() == pytest.approx(build_loss("ce")(logits, labels).item())
    heavier = torch.ones(1, 6, 6)
    heavier[0, 0, 0] = 10.0
    per_pixel = torch.nn.functional.cross_entropy(logits, labels, reduction="none")[0, 0, 0]
    expected = build_loss("ce")(logits, labels).item() + 9 * per_pixel.item() / 36
    assert loss(logits, labels, heavier).item() == pytest.approx(expected, rel=1e-5)
