"""Sums of losses, loss settings from the config, and the ignore label / ROI for every loss."""
import warnings

import pytest
import torch

from unetkit.config import load_config
from unetkit.errors import ConfigError
from unetkit.losses import LOSSES, Loss, build_loss
from unetkit.losses.registry import _sum_of_terms, register_loss

ALL_LOSSES = ["bce", "ce", "dice", "ce_dice", "focal", "tversky", "lovasz", "cldice", "ce+tversky", "ce+lovasz",
              "dice+cldice", "bce+cldice", "focal+dice"]


def _train(*overrides):
    return load_config(None, ["data.format=synthetic", *overrides]).train


@pytest.mark.parametrize("name, num_classes", [(name, classes) for name in ALL_LOSSES for classes in (2, 4)
                                               if classes == 2 or not LOSSES[name].sigmoid])
def test_every_loss_leaves_ignored_pixels_out(name, num_classes):
    """...and warns nothing (`make mutants`, issue 31: a softmax without its dim warns at every step)."""
    loss = LOSSES[name]
    channels = loss.output_channels(num_classes)
    torch.manual_seed(0)
    logits = torch.randn(2, channels, 12, 12, requires_grad=True)
    labels = torch.randint(0, num_classes, (2, 12, 12))
    labels[:, :4] = 255
    loss_fn = build_loss(name, class_weights=torch.linspace(0.5, 2.0, num_classes))
    with warnings.catch_warnings():    # a warning here would repeat at every training step
        warnings.simplefilter("error")
        value = loss_fn(logits, labels)
        value.backward()
    assert torch.isfinite(value)
    assert logits.grad[:, :, :4].abs().max() == 0
    changed = logits.detach().clone()
    changed[:, :, :4] = 30.0
    assert loss_fn(changed, labels).item() == pytest.approx(value.item(), rel=1e-5, abs=1e-6)


def test_a_sum_is_its_weighted_terms():
    torch.manual_seed(1)
    logits, labels = torch.randn(1, 3, 8, 8), torch.randint(0, 3, (1, 8, 8))
    ce, dice = build_loss("ce")(logits, labels).item(), build_loss("dice")(logits, labels).item()
    assert build_loss("ce+dice")(logits, labels).item() == pytest.approx(build_loss("ce_dice")(logits, labels).item())
    weighted = build_loss("ce+dice", train=_train("train.loss=ce+dice", "train.loss_weights=1,0.5"))
    assert weighted(logits, labels).item() == pytest.approx(ce + 0.5 * dice, rel=1e-6)


def test_loss_settings_come_from_the_train_section():
    torch.manual_seed(2)
    logits, labels = torch.randn(1, 2, 8, 8), torch.randint(0, 2, (1, 8, 8))
    plain = build_loss("tversky")(logits, labels).item()
    train = _train("train.loss=tversky", "train.tversky_alpha=0.5", "train.tversky_beta=0.5")
    assert build_loss("tversky", train=train)(logits, labels).item() != pytest.approx(plain)
    gamma_zero = build_loss("focal", train=_train("train.focal_gamma=0"))(logits, labels).item()
    assert gamma_zero == pytest.approx(build_loss("ce")(logits, labels).item(), rel=1e-5)


@pytest.mark.parametrize("loss, message", [("bce+ce", "mixes a one-sigmoid-channel loss"),
                                           ("ce+nothing", "unknown loss 'nothing'"),
                                           ("ce+", "unknown loss ''")])
def test_bad_sums_are_config_errors(loss, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, ["data.format=synthetic", f"train.loss={loss}"])


def test_loss_weights_must_match_the_terms():
    with pytest.raises(ConfigError, match="2 term"):
        load_config(None, ["data.format=synthetic", "train.loss=ce+dice", "train.loss_weights=1,1,1"])
    assert load_config(None, ["data.format=synthetic", "train.loss=ce", "train.loss_weights=2"]).train.loss_weights
    with pytest.raises(ConfigError, match=r"^train.loss_weights has 2 weights but train.loss=ce has 1 term\(s\)$"):
        load_config(None, ["data.format=synthetic", "train.loss=ce", "train.loss_weights=1,1"])


def test_a_sigmoid_loss_needs_two_classes_and_the_others_take_any():
    """Found by `make mutants` (issue 31)."""
    with pytest.raises(ConfigError, match=r"^train.loss=bce needs data.num_classes=2 \(one sigmoid channel\); "
                                          r"use ce for more classes$"):
        load_config(None, ["data.format=folder", "data.root=.", "data.num_classes=3", "train.loss=bce"])
    assert load_config(None, ["data.format=folder", "data.root=.", "data.num_classes=2", "train.loss=bce"]).train.loss == "bce"
    assert load_config(None, ["data.format=folder", "data.root=.", "data.num_classes=3", "train.loss=ce"]).data.num_classes == 3


def test_the_denominator_of_each_pixel_mean_loss():
    """What the DDP trainer divides by to give every rank's pixels the same weight (found untested by
    `make mutants`, issue 31): labelled pixels, their class weights for a class-weighted mean, none for a
    loss that is not a pixel mean."""
    import torch

    from unetkit.losses.registry import loss_denominator
    labels = torch.tensor([[[0, 1, 1], [7, 7, 2]]])
    assert loss_denominator("weighted_ce", ignore_index=7)(labels).item() == 4.0
    assert loss_denominator("ce", ignore_index=7)(labels).item() == 4.0
    weighted = loss_denominator("ce", ignore_index=7, class_weights=torch.tensor([0.5, 2.0, 3.0]))
    assert weighted(labels).item() == pytest.approx(0.5 + 2 * 2.0 + 3.0)
    assert loss_denominator("weighted_ce", ignore_index=7, class_weights=torch.tensor([0.5, 2.0, 3.0]))(labels) == 4.0
    assert loss_denominator("dice") is None and loss_denominator("ce+dice") is None


def test_output_channels_settings_class_weights_and_the_ignore_label_reach_every_term():
    """Found by `make mutants` (issue 31): one sigmoid channel for bce, one per class otherwise; a sum
    hands each term its settings and the class weights; another ignore label than 255 is honoured."""
    assert [LOSSES["bce"].output_channels(2), LOSSES["ce"].output_channels(2), LOSSES["dice"].output_channels(5)] == [1, 2, 5]
    torch.manual_seed(3)
    logits, labels = torch.randn(1, 3, 8, 8), torch.randint(0, 3, (1, 8, 8))
    assert build_loss("focal+dice", train=_train("train.focal_gamma=0"))(logits, labels).item() == pytest.approx(
        build_loss("ce+dice")(logits, labels).item(), rel=1e-5)
    weights = torch.tensor([0.2, 1.0, 3.0])
    weighted = build_loss("ce+dice", class_weights=weights)(logits, labels).item()
    assert weighted == pytest.approx(build_loss("ce", class_weights=weights)(logits, labels).item()
                                     + build_loss("dice", class_weights=weights)(logits, labels).item(), rel=1e-6)
    assert weighted != pytest.approx(build_loss("ce+dice")(logits, labels).item(), rel=1e-3)
    void = labels.clone()
    void[:, :3] = 7
    for name in ("ce", "ce+dice"):
        leaf = logits.clone().requires_grad_(True)
        build_loss(name, ignore_index=7)(leaf, void).backward()
        assert leaf.grad[:, :, :3].abs().max() == 0 and leaf.grad[:, :, 3:].abs().max() > 0


def test_a_sum_carries_what_training_must_know_of_its_terms():
    """A sum's flags are those of its terms (`make mutants`: each flag dropped or set to None survived):
    one sigmoid term makes the sum sigmoid, one softmax-only term softmax-only, one weight-map term
    makes training compute the weight map."""
    total = LOSSES["weighted_ce+dice"]
    assert total.name == "weighted_ce+dice" and total.function is _sum_of_terms
    assert total.terms == (LOSSES["weighted_ce"], LOSSES["dice"])
    assert total.softmax_only is True and total.needs_weight_map is True and total.sigmoid is False
    binary = LOSSES["bce+dice"]
    assert binary.sigmoid is True and binary.softmax_only is False and binary.needs_weight_map is False
    assert binary.output_channels(2) == 1 and total.output_channels(4) == 4
    with pytest.raises(ConfigError, match=r"mixes a one-sigmoid-channel loss with a softmax one \(ce, weighted_ce\)"):
        LOSSES["bce+ce+weighted_ce"]


def test_a_sum_of_sums_is_refused_and_a_registered_loss_is_found_by_its_name():
    with LOSSES.registered("ce_plus_dice", LOSSES["ce+dice"]):
        with pytest.raises(ConfigError, match="'ce_plus_dice\\+ce' must join two or more registered losses by '\\+'"):
            LOSSES["ce_plus_dice+ce"]
    mine = Loss("test_registry_mine", LOSSES["ce"].function, softmax_only=True)
    try:
        assert register_loss(mine) is mine and LOSSES["test_registry_mine"] is mine
    finally:
        LOSSES.unregister("test_registry_mine")


def test_membership_and_the_names_offered_include_sums():
    """`name in LOSSES` (the config checks' test) holds for a sum of registered losses and not for a sum
    with an unknown term; the names offered in messages end with the sum form."""
    assert "ce+dice" in LOSSES and "tversky" in LOSSES
    assert "ce+nothing" not in LOSSES and "nothing" not in LOSSES and "bce+ce" not in LOSSES
    names = LOSSES.names()
    assert names[-1] == "or a sum such as ce+tversky" and "ce" in names and "lovasz" in names
