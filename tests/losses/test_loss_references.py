"""The pixel-weighted losses against references written out in the test (float64, one pixel at a time in
spirit), with a non-default ignore label, ignored pixels, per-pixel and class weights: a loss that drops
the ignore label, a weight or a normaliser no longer matches (issue 31's mutation run found these gaps)."""
import pytest
import torch

from unetkit.losses.basic import bce_loss, weighted_ce_loss

IGNORE = 7


def _batch(channels: int, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, channels, 5, 6, generator=generator) * 2
    labels = torch.randint(0, max(2, channels), (2, 5, 6), generator=generator)
    labels[0, :2] = IGNORE                               # 12 of 60 pixels left out
    weights = torch.rand(2, 5, 6, generator=generator) * 3 + 0.5
    return logits, labels, weights


def _reference_ce(logits, labels, weights, class_weights):
    valid = labels != IGNORE
    safe = torch.where(valid, labels, 0)
    nll = -torch.log_softmax(logits.double(), 1).gather(1, safe[:, None])[:, 0]
    w = torch.ones_like(nll) if weights is None else weights.double()
    if class_weights is not None:
        w = w * class_weights.double()[safe]
    return (nll * w * valid).sum() / valid.sum()


@pytest.mark.parametrize("with_weights", [False, True])
@pytest.mark.parametrize("with_class_weights", [False, True])
def test_weighted_ce_is_the_weighted_mean_over_the_labelled_pixels(with_weights, with_class_weights):
    logits, labels, weights = _batch(3)
    class_weights = torch.tensor([0.5, 2.0, 4.0]) if with_class_weights else None
    weights = weights if with_weights else None
    got = weighted_ce_loss(logits, labels, weights, ignore_index=IGNORE, class_weights=class_weights)
    expected = _reference_ce(logits, labels, weights, class_weights)
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)


def test_weighted_ce_of_an_all_ignored_batch_is_a_connected_zero():
    logits, labels, weights = _batch(2)
    labels[:] = IGNORE
    loss = weighted_ce_loss(logits.requires_grad_(), labels, weights, ignore_index=IGNORE)
    loss.backward()
    assert loss.item() == 0.0 and logits.grad is not None


def test_bce_is_the_weighted_mean_over_the_labelled_pixels():
    logits, labels, _ = _batch(1)
    labels = torch.where(labels == IGNORE, IGNORE, labels.clamp(0, 1))
    valid = labels != IGNORE
    p = torch.sigmoid(logits[:, 0].double())
    per_pixel = -(labels.eq(1) * p.log() + labels.eq(0) * (1 - p).log())
    assert bce_loss(logits, labels, ignore_index=IGNORE).item() == pytest.approx(
        (per_pixel * valid).sum().item() / valid.sum().item(), rel=1e-5)
    class_weights = torch.tensor([0.25, 3.0])
    w = class_weights.double()[torch.where(valid, labels, 0)] * valid
    assert bce_loss(logits, labels, ignore_index=IGNORE, class_weights=class_weights).item() == pytest.approx(
        (per_pixel * w).sum().item() / w.sum().item(), rel=1e-5)


def test_bce_with_tiny_weights_is_still_their_weighted_mean():
    """The normaliser's floor (1e-12) is only a guard against 0: weights summing below 1 are not floored."""
    logits, labels, _ = _batch(1, seed=1)
    labels = labels.clamp(0, 1)
    class_weights = torch.tensor([1e-4, 1e-4])
    plain = bce_loss(logits, labels)
    assert bce_loss(logits, labels, class_weights=class_weights).item() == pytest.approx(plain.item(), rel=1e-5)


def _reference_dice(logits, labels, class_weights=None, smooth=1.0):
    probabilities = torch.softmax(logits.double(), 1)
    valid = (labels != IGNORE).double()
    dice = []
    for k in range(logits.shape[1]):
        p, t = probabilities[:, k] * valid, (labels == k).double() * valid
        dice.append((2 * (p * t).sum() + smooth) / (p.sum() + t.sum() + smooth))
    dice = torch.stack(dice)[1:]
    if class_weights is None:
        return 1 - dice.mean()
    w = class_weights.double()[1:]
    return 1 - (dice * w).sum() / w.sum()


def test_dice_and_ce_dice_by_hand_with_a_missing_class_an_ignore_label_and_class_weights():
    from unetkit.losses.basic import ce_dice_loss, ce_loss, dice_loss
    logits, labels, _ = _batch(4)
    labels = torch.where(labels == 3, 1, labels)             # the last class absent from the labels
    class_weights = torch.tensor([1.0, 0.2, 0.3, 0.1])       # foreground weights sum below 1
    assert dice_loss(logits, labels, ignore_index=IGNORE).item() == pytest.approx(
        _reference_dice(logits, labels).item(), rel=1e-5)
    assert dice_loss(logits, labels, ignore_index=IGNORE, class_weights=class_weights).item() == pytest.approx(
        _reference_dice(logits, labels, class_weights).item(), rel=1e-5)
    assert dice_loss(logits, labels, ignore_index=IGNORE, smooth=0.5).item() == pytest.approx(
        _reference_dice(logits, labels, smooth=0.5).item(), rel=1e-5)
    both = ce_dice_loss(logits, labels, ignore_index=IGNORE, class_weights=class_weights)
    parts = (ce_loss(logits, labels, ignore_index=IGNORE, class_weights=class_weights)
             + dice_loss(logits, labels, ignore_index=IGNORE, class_weights=class_weights))
    assert both.item() == pytest.approx(parts.item(), rel=1e-6)
    assert both.item() != pytest.approx(ce_dice_loss(logits, labels, ignore_index=IGNORE).item(), rel=1e-3)
    valid = labels != IGNORE
    p = torch.softmax(logits.double(), 1)
    nll = -(p.gather(1, torch.where(valid, labels, 0)[:, None])[:, 0]).log()
    w = class_weights.double()[torch.where(valid, labels, 0)] * valid
    assert ce_loss(logits, labels, ignore_index=IGNORE, class_weights=class_weights).item() == pytest.approx(
        ((nll * w).sum() / w.sum()).item(), rel=1e-5)


def test_one_labelled_pixel_and_class_weights_given_in_float64():
    logits, labels, weights = _batch(3)
    labels[:] = IGNORE
    labels[1, 2, 3] = 2                                   # a single labelled pixel: its own weighted loss
    nll = -torch.log_softmax(logits[1, :, 2, 3].double(), 0)[2]
    got = weighted_ce_loss(logits, labels, weights, ignore_index=IGNORE)
    assert got.item() == pytest.approx((nll * weights[1, 2, 3]).item(), rel=1e-5)
    from unetkit.losses.basic import ce_loss
    double = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    logits, labels, _ = _batch(3, seed=2)
    assert ce_loss(logits, labels, ignore_index=IGNORE, class_weights=double).item() == pytest.approx(
        ce_loss(logits, labels, ignore_index=IGNORE, class_weights=double.float()).item(), rel=1e-6)
