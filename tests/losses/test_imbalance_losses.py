"""Focal, Tversky, Lovasz and clDice against values computed by hand on tiny tensors."""
import math

import pytest
import torch

from unetkit.losses import (
    build_loss,
    cldice_loss,
    focal_loss,
    lovasz_loss,
    soft_skeleton,
    tversky_loss,
)
from unetkit.losses.lovasz import lovasz_gradient


def _two_class_logits(foreground_probabilities):
    """Softmax logits (1, 2, 1, P) whose class-1 probabilities are the given ones."""
    p = torch.tensor(foreground_probabilities)
    return torch.stack([torch.zeros_like(p), torch.log(p / (1 - p))])[None, :, None, :]


def test_focal_binary_and_softmax_by_hand():
    # one sigmoid pixel, logit 0 (p = 0.5), label 1: -(0.5)^2 log 0.5
    assert focal_loss(torch.zeros(1, 1, 1, 1), torch.ones(1, 1, 1, dtype=torch.long)).item() == \
        pytest.approx(0.25 * math.log(2), rel=1e-5)
    # softmax: p_t = 3/4 -> -(1/4)^2 log(3/4)
    logits = torch.tensor([0.0, math.log(3)]).view(1, 2, 1, 1)
    assert focal_loss(logits, torch.ones(1, 1, 1, dtype=torch.long)).item() == \
        pytest.approx(0.0625 * -math.log(0.75), rel=1e-5)
    # gamma 0 is cross-entropy
    torch.manual_seed(0)
    logits, labels = torch.randn(2, 3, 5, 5), torch.randint(0, 3, (2, 5, 5))
    assert focal_loss(logits, labels, gamma=0.0).item() == pytest.approx(
        torch.nn.functional.cross_entropy(logits, labels).item(), rel=1e-5)


def test_focal_alpha_weights_foreground_and_background():
    # pixel A: label 1, logit 0 -> 0.25 ln 2 (weight alpha); pixel B: label 0, logit ln 3 -> p_t = 1/4,
    # -(3/4)^2 ln(1/4) (weight 1 - alpha); normalised by the weights' sum (1)
    logits = torch.tensor([0.0, math.log(3)]).view(1, 1, 1, 2)
    labels = torch.tensor([[[1, 0]]])
    expected = 0.25 * (0.25 * math.log(2)) + 0.75 * (0.5625 * math.log(4))
    assert focal_loss(logits, labels, alpha=0.25).item() == pytest.approx(expected, rel=1e-5)


def test_tversky_by_hand_and_as_dice():
    logits = _two_class_logits([0.8, 0.3, 0.6, 0.1])
    labels = torch.tensor([[[1, 1, 0, 0]]])
    # TP 1.1, FP 0.7, FN 0.9: TI = (1.1 + 1) / (1.1 + 0.3 * 0.7 + 0.7 * 0.9 + 1)
    index = 2.1 / 2.94
    assert tversky_loss(logits, labels).item() == pytest.approx(1 - index, rel=1e-5)
    assert tversky_loss(logits, labels, gamma=0.75).item() == pytest.approx((1 - index) ** 0.75, rel=1e-5)
    # alpha = beta = 1/2 without smoothing is the Dice loss without smoothing
    dice = build_loss("dice").func(logits, labels, smooth=0.0)
    assert tversky_loss(logits, labels, alpha=0.5, beta=0.5, smooth=0.0).item() == pytest.approx(dice.item(), rel=1e-5)


def test_lovasz_gradient_and_hinge_by_hand():
    assert lovasz_gradient(torch.tensor([1.0, 0.0, 1.0])).tolist() == pytest.approx([0.5, 1 / 6, 1 / 3])
    # logits (2, -1, 0.5), labels (1, 1, 0): errors (-1, 2, 1.5) -> sorted (2, 1.5, -1), truth (1, 0, 1)
    logits = torch.tensor([2.0, -1.0, 0.5]).view(1, 1, 1, 3)
    assert lovasz_loss(logits, torch.tensor([[[1, 1, 0]]])).item() == pytest.approx(2 * 0.5 + 1.5 / 6, rel=1e-5)


def test_lovasz_softmax_by_hand_and_zero_when_perfect():
    logits = _two_class_logits([0.8, 0.3, 0.6])
    labels = torch.tensor([[[1, 1, 0]]])
    # class 0: errors (0.2, 0.7, 0.6) -> 0.7 * 0.5 + 0.6 * 0.5; class 1: 0.7 * 0.5 + 0.6 / 6 + 0.2 / 3
    expected = (0.65 + (0.35 + 0.1 + 0.2 / 3)) / 2
    assert lovasz_loss(logits, labels).item() == pytest.approx(expected, rel=1e-5)
    perfect = torch.nn.functional.one_hot(torch.tensor([[[2, 0, 1, 1]]]), 3).permute(0, 3, 1, 2).float() * 60
    assert lovasz_loss(perfect, torch.tensor([[[2, 0, 1, 1]]])).item() == pytest.approx(0.0, abs=1e-6)


def test_soft_skeleton_keeps_a_thin_line_and_thins_a_bar():
    line = torch.zeros(1, 1, 9, 9)
    line[0, 0, 4, 1:8] = 1
    assert torch.equal(soft_skeleton(line), line)
    bar = torch.zeros(1, 1, 9, 9)
    bar[0, 0, 3:6, 1:8] = 1
    skeleton = soft_skeleton(bar)
    assert skeleton[0, 0, 4, 2:7].min() == 1 and skeleton.sum() < bar.sum()


def test_cldice_by_hand_on_a_broken_line():
    truth = torch.zeros(1, 9, 9, dtype=torch.long)
    truth[0, 4, 2:7] = 1
    truth[0, 4, 4] = 0                       # broken in the middle: 4 pixels
    predicted = torch.zeros(1, 9, 9, dtype=torch.long)
    predicted[0, 4, 2:7] = 1                 # whole: 5 pixels
    logits = (predicted.float() * 2 - 1).unsqueeze(1) * 50    # one sigmoid channel, certain
    # Tprec = (4 + 1) / (5 + 1), Tsens = (4 + 1) / (4 + 1): clDice = 2 Tp Ts / (Tp + Ts) = 10 / 11
    assert cldice_loss(logits, truth).item() == pytest.approx(1 / 11, rel=1e-4)
    assert cldice_loss(logits, predicted).item() == pytest.approx(0.0, abs=1e-6)


def test_class_weights_weight_the_per_class_terms():
    logits = _two_class_logits([0.8, 0.3, 0.6, 0.1])
    labels = torch.tensor([[[1, 1, 0, 0]]])
    weights = torch.tensor([1.0, 3.0])
    # Tversky over foreground classes only: one class, its weight cancels
    assert tversky_loss(logits, labels, class_weights=weights).item() == pytest.approx(tversky_loss(logits, labels).item())
    # focal with class weights: each pixel weighted by its class, normalised by the weights' sum
    per_pixel = (focal_loss(logits[..., :1], labels[..., :1]).item(),
                 focal_loss(logits[..., 2:3], labels[..., 2:3]).item())
    mixed = focal_loss(logits[..., [0, 2]], labels[..., [0, 2]], class_weights=weights).item()
    assert mixed == pytest.approx((3 * per_pixel[0] + 1 * per_pixel[1]) / 4, rel=1e-5)


def test_lovasz_on_two_pixels_absent_classes_class_weights_and_all_ignored():
    assert lovasz_gradient(torch.tensor([1.0, 0.0])).tolist() == pytest.approx([1.0, 0.0])
    # three classes, class 0 absent (skipped, not the end of the loop); class weights 0.2 and 0.6 (sum < 1)
    probabilities = torch.tensor([[0.2, 0.5, 0.3], [0.1, 0.2, 0.7]])           # two pixels, labels 1 and 2
    logits = probabilities.log().T[None, :, None, :]                           # (1, 3, 1, 2)
    labels = torch.tensor([[[1, 2]]])
    per_class = []
    for index in (1, 2):
        truth = (labels[0, 0] == index).float()
        errors = (truth - probabilities[:, index]).abs()
        order = torch.argsort(errors, descending=True)
        per_class.append(float(torch.dot(errors[order], lovasz_gradient(truth[order]))))
    assert lovasz_loss(logits, labels).item() == pytest.approx(sum(per_class) / 2, rel=1e-5)
    weighted = lovasz_loss(logits, labels, class_weights=torch.tensor([5.0, 0.2, 0.6]))
    assert weighted.item() == pytest.approx((0.2 * per_class[0] + 0.6 * per_class[1]) / 0.8, rel=1e-5)
    ignored = torch.zeros(1, 3, 1, 2, requires_grad=True)
    loss = lovasz_loss(ignored, torch.full((1, 1, 2), 255))
    loss.backward()
    assert loss.item() == 0.0 and ignored.grad is not None


def test_focal_and_tversky_edges():
    """Found by `make mutants` (issue 31): a sigmoid focal loss away from logit 0 (where both classes' log p
    are equal), tiny class weights (not floored to 1), an all-ignored batch, Tversky's class weights over
    two foreground classes."""
    logits, labels = torch.tensor([2.0, -1.0]).view(1, 1, 1, 2), torch.tensor([[[1, 0]]])
    p = torch.sigmoid(torch.tensor([2.0, -1.0]))
    per_pixel = [-(1 - p[0]) ** 2 * math.log(p[0]), -(p[1]) ** 2 * math.log(1 - p[1])]
    assert focal_loss(logits, labels).item() == pytest.approx(float(sum(per_pixel)) / 2, rel=1e-5)
    tiny = focal_loss(logits, labels, class_weights=torch.tensor([1e-3, 1e-3]))
    assert tiny.item() == pytest.approx(focal_loss(logits, labels).item(), rel=1e-5)
    ignored = torch.zeros(1, 3, 2, 2, requires_grad=True)
    loss = focal_loss(ignored, torch.full((1, 2, 2), 255))
    loss.backward()
    assert loss.item() == 0.0 and ignored.grad is not None
    three = torch.tensor([[2.0, 0.0, 0.0, 1.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 1.0]])[None, :, None, :]
    truth = torch.tensor([[[0, 1, 2, 1]]])
    per_class = [tversky_loss(three, truth, class_weights=torch.tensor(w)).item()
                 for w in ([1.0, 1.0, 0.0], [1.0, 0.0, 1.0])]            # class 1 alone, class 2 alone
    weighted = tversky_loss(three, truth, class_weights=torch.tensor([1.0, 3.0, 1.0])).item()
    assert per_class[0] != pytest.approx(per_class[1])
    assert weighted == pytest.approx((3 * per_class[0] + per_class[1]) / 4, rel=1e-5)


def test_soft_skeleton_stays_inside_the_mask_and_cldice_combines_as_the_paper_says():
    """Found by `make mutants` (issue 31): the skeleton of a binary mask is binary and inside it; clDice is
    2 Tprec Tsens / (Tprec + Tsens) of the soft skeletons at the given iterations, per class, class-weighted."""
    from unetkit.losses.cldice import soft_skeleton as skeleton_of
    bar = torch.zeros(1, 1, 15, 15)
    bar[0, 0, 3:12, 2:13] = 1                            # 9 wide: 3 iterations do not reach its middle
    for iterations in (1, 3, 5):
        skeleton = skeleton_of(bar, iterations)
        assert skeleton.max() <= 1 and (skeleton * (1 - bar)).sum() == 0
    assert torch.equal(skeleton_of(bar), skeleton_of(bar, 3))
    assert not torch.equal(skeleton_of(bar, 1), skeleton_of(bar, 5))
    torch.manual_seed(0)
    logits = torch.randn(1, 3, 15, 15) * 3
    labels = torch.zeros(1, 15, 15, dtype=torch.long)
    labels[0, 3:12, 2:7], labels[0, 3:12, 8:13] = 1, 2
    probabilities, truth = torch.softmax(logits, 1), torch.nn.functional.one_hot(labels, 3).permute(0, 3, 1, 2).float()
    per_class = []
    for iterations in (1, 4):
        s_p, s_t = skeleton_of(probabilities, iterations), skeleton_of(truth, iterations)
        t_prec = ((s_p * truth).sum((0, 2, 3)) + 1) / (s_p.sum((0, 2, 3)) + 1)
        t_sens = ((s_t * probabilities).sum((0, 2, 3)) + 1) / (s_t.sum((0, 2, 3)) + 1)
        per_class.append(2 * t_prec * t_sens / (t_prec + t_sens))
        assert cldice_loss(logits, labels, iterations=iterations).item() == pytest.approx(
            1 - per_class[-1][1:].mean().item(), rel=1e-5)
    weighted = cldice_loss(logits, labels, iterations=4, class_weights=torch.tensor([1.0, 3.0, 1.0]))
    assert weighted.item() == pytest.approx(1 - (3 * per_class[1][1] + per_class[1][2]).item() / 4, rel=1e-5)


def test_a_sum_of_losses_hands_each_term_the_weight_map():
    from unetkit.losses import build_loss
    torch.manual_seed(0)
    logits, labels = torch.randn(1, 2, 6, 6), torch.randint(0, 2, (1, 6, 6))
    weights = torch.rand(1, 6, 6) * 5
    both = build_loss("weighted_ce+dice")(logits, labels, weights)
    assert both.item() == pytest.approx((build_loss("weighted_ce")(logits, labels, weights)
                                         + build_loss("dice")(logits, labels)).item(), rel=1e-6)
    assert both.item() != pytest.approx(build_loss("weighted_ce+dice")(logits, labels).item(), rel=1e-3)


def test_the_soft_skeleton_of_soft_masks_stays_in_zero_one():
    """Its union step s + d (1 - s) never leaves [0, 1] (found by `make mutants`: a sign slip there passes
    on binary masks, whose skeleton and new layers never overlap)."""
    from unetkit.losses.cldice import soft_skeleton as skeleton_of
    torch.manual_seed(0)
    soft = torch.rand(2, 3, 16, 16)
    skeleton = skeleton_of(soft, 4)
    assert skeleton.min() >= 0 and skeleton.max() <= 1


def test_cldice_soft_skeleton_takes_three_iterations_by_default():
    """Found by `make mutants` (issue 31): the default is the clDice paper's k = 3."""
    torch.manual_seed(4)
    logits, labels = torch.randn(1, 2, 16, 16), torch.zeros(1, 16, 16, dtype=torch.long)
    labels[:, 4:12, 2:14] = 1                            # a bar 8 wide: more iterations thin it further
    default = cldice_loss(logits, labels).item()
    assert default == cldice_loss(logits, labels, iterations=3).item()
    assert default != pytest.approx(cldice_loss(logits, labels, iterations=4).item(), rel=1e-4)
