import numpy as np
import pytest
import torch

from unetkit.config import load_config
from unetkit.errors import ConfigError
from unetkit.losses import build_loss, class_weights_from_counts, resolve_class_weights


def test_median_frequency_and_inverse_sqrt_by_hand():
    counts = np.array([90, 9, 1])  # frequencies 0.9, 0.09, 0.01; median 0.09
    assert class_weights_from_counts(counts, "median_frequency") == pytest.approx([0.1, 1.0, 9.0])
    assert class_weights_from_counts(counts, "inverse_sqrt") == pytest.approx([0.1 ** 0.5, 1.0, 3.0])


def test_an_absent_class_gets_the_largest_weight():
    weights = class_weights_from_counts(np.array([90, 10, 0]))  # present frequencies 0.9, 0.1; median 0.5
    assert weights == pytest.approx([0.5 / 0.9, 5.0, 5.0])


def test_resolve_none_list_and_auto():
    assert resolve_class_weights("none", "median_frequency", 2) is None
    assert resolve_class_weights([1.0, 4.0], "median_frequency", 2).tolist() == [1.0, 4.0]
    auto = resolve_class_weights("auto", "median_frequency", 3, lambda: [90, 9, 1])
    assert auto.tolist() == pytest.approx([0.1, 1.0, 9.0])
    with pytest.raises(ConfigError, match="no labelled pixels"):
        resolve_class_weights("auto", "median_frequency", 2, lambda: [0, 0])


def test_class_weighted_ce_is_pytorchs_weighted_mean():
    torch.manual_seed(0)
    logits, labels = torch.randn(2, 3, 6, 6), torch.randint(0, 3, (2, 6, 6))
    labels[0, 0] = 255
    weights = torch.tensor([0.2, 1.0, 5.0])
    expected = torch.nn.functional.cross_entropy(logits, labels, weight=weights, ignore_index=255)
    assert build_loss("ce", class_weights=weights)(logits, labels).item() == pytest.approx(expected.item(), rel=1e-6)
    # binary: bce with [w0, w1] is the same weighted mean
    one = logits[:, 1:2]
    binary = labels.clamp(max=1).masked_fill(labels == 255, 255)
    pixel_weights = torch.where(binary == 1, 3.0, 1.0) * (binary != 255)
    per_pixel = torch.nn.functional.binary_cross_entropy_with_logits(one[:, 0], (binary == 1).float(), reduction="none")
    expected = (per_pixel * pixel_weights).sum() / pixel_weights.sum()
    bce = build_loss("bce", class_weights=torch.tensor([1.0, 3.0]))
    assert bce(one, binary).item() == pytest.approx(expected.item(), rel=1e-6)


def test_dice_class_weights_are_a_weighted_mean_of_the_foreground_classes():
    torch.manual_seed(0)
    logits, labels = torch.randn(1, 3, 6, 6), torch.randint(0, 3, (1, 6, 6))
    full = build_loss("dice")
    weights = torch.tensor([1.0, 1.0, 3.0])
    unweighted = full(logits, labels).item()
    weighted = build_loss("dice", class_weights=weights)(logits, labels).item()
    # 1 - mean(d1, d2) and 1 - (d1 + 3 d2) / 4 share d1, d2: solve from two weightings
    only_first = build_loss("dice", class_weights=torch.tensor([1.0, 1.0, 1e-9]))(logits, labels).item()
    d1 = 1 - only_first
    d2 = 2 * (1 - unweighted) - d1
    assert weighted == pytest.approx(1 - (d1 + 3 * d2) / 4, rel=1e-5)


@pytest.mark.parametrize("value, expected", [("auto", "auto"), ("none", "none"), ("[1, 2]", [1.0, 2.0]),
                                             ("1,2", [1.0, 2.0])])
def test_config_reads_every_form(value, expected):
    assert load_config(None, ["data.format=synthetic", f"train.class_weights={value}"]).train.class_weights == expected


@pytest.mark.parametrize("value, message", [("often", "none, auto or a list"), ("[1, 2, 3]", "must list 2 positive"),
                                            ("[1, 0]", "must list 2 positive")])
def test_config_refuses_bad_class_weights(value, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, ["data.format=synthetic", f"train.class_weights={value}"])


def test_class_weights_from_counts_refuses_unknown_methods_and_empty_masks_by_name():
    with pytest.raises(ConfigError, match=r"^config key 'train.class_weight_method' must be one of median_frequency, "
                                          r"inverse_sqrt; got 'inverse'$"):
        class_weights_from_counts(np.array([1, 2]), "inverse")
    with pytest.raises(ConfigError, match=r"^train.class_weights=auto: the training masks have no labelled pixels$"):
        class_weights_from_counts(np.array([0, 0]))


def test_resolve_class_weights_lists_auto_and_absent_classes(caplog):
    """Found by `make mutants` (issue 31): a list of the wrong length is one line; weights are float32; auto
    uses the method asked for and warns once per class with no pixel."""
    with pytest.raises(ConfigError, match=r"^train.class_weights lists 2 weights but there are 3 classes$"):
        resolve_class_weights([1.0, 2.0], "median_frequency", 3)
    given = resolve_class_weights([1, 2, 3], "median_frequency", 3)
    assert given.dtype == torch.float32 and given.tolist() == [1.0, 2.0, 3.0]
    with caplog.at_level("WARNING"):
        auto = resolve_class_weights("auto", "inverse_sqrt", 3, lambda: [90, 10, 0])
    assert auto.dtype == torch.float32
    assert auto.tolist() == pytest.approx(class_weights_from_counts(np.array([90.0, 10.0, 0.0]), "inverse_sqrt").tolist())
    assert auto.tolist() != pytest.approx(class_weights_from_counts(np.array([90.0, 10.0, 0.0])).tolist())
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == ["class 2 has no pixel in the training masks: it gets the largest weight"]
    assert resolve_class_weights("none", "median_frequency", 3, lambda: 1 / 0) is None
