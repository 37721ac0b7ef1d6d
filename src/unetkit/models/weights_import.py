"""`unetkit weights import FILE --encoder NAME`: weights made elsewhere (another library's key names, a
colleague's checkpoint, your own pretraining) brought into the cache the resolver reads (pretrained.py),
so that `model.encoder_weights=imagenet` (or the tag given) finds them as it finds downloaded ones.

The file's tensors are matched onto the encoder's full network (classifier included, as its maker
publishes it): by name where the names agree, then the rest by order and shape. The match is strict:
every tensor of the network gets exactly one of the file's, every shape is equal, and every tensor of
the file is used -- else one error naming the first mismatch, and nothing is written. A classifier
only the file has (another number of classes, or a head the network has not) is reported, not an
error, and a classifier only the network has is left out of the cache entry (feature extractors never
load it). The entry is written the way each library's own cache holds it: timm's weights as a Hugging
Face cache repo (blob, snapshot link, refs/main) under timm's name for the tag, torchvision's as
torch.hub's file for its URL.

Written by hand: neither timm nor torchvision imports foreign key names, and the order-and-shape
match is what makes efficientnet_pytorch's files (`_blocks.0._depthwise_conv.weight`) fit timm's
(`blocks.0.0.conv_dw.weight`).
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..errors import ConfigError
from .encoders import read_state_dict
from .pretrained import IMAGENET, WeightsSource, hf_hub_cache, weights_source
from .timm_encoder import TIMM_PREFIX, timm_name

# a source tensor left over is a classifier's when a part of its name says so (efficientnet_pytorch `_fc`,
# torchvision `fc` / `classifier`, timm `head` / `classifier`, Keras-style `logits`)
CLASSIFIER_NAME = re.compile(r"(^|\.)_?(fc|classifier|head|logits|last_linear)(\.|$)")
BOOKKEEPING = "num_batches_tracked"   # a BatchNorm step counter, not a weight: never matched, never required
WRAPPERS = ("module.", "model.", "backbone.", "encoder.")   # prefixes of DDP / Lightning / wrapper checkpoints


@dataclass
class WeightsMatch:
    """The file's tensors under the network's names, and how each was found."""
    state: dict[str, torch.Tensor]
    by_name: int = 0
    by_order: int = 0
    left_over: list[str] = field(default_factory=list)         # the file's classifier tensors not used
    without_classifier: list[str] = field(default_factory=list)  # the network's classifier tensors not filled


@dataclass(frozen=True)
class ImportedWeights:
    source: WeightsSource
    path: Path
    match: WeightsMatch


def _shape(tensor: torch.Tensor) -> tuple[int, ...]:
    return tuple(tensor.shape)


def _strip_wrapper(state: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys of a wrapped model (`module.conv1.weight`) without the wrapper's prefix when none of the
    network's own keys start with it."""
    stripped = True
    while stripped:   # nested wrappers: module.encoder.backbone.conv1.weight
        stripped = False
        for prefix in WRAPPERS:
            if state and all(key.startswith(prefix) for key in state) and not any(k.startswith(prefix) for k in target):
                state, stripped = {key[len(prefix):]: value for key, value in state.items()}, True
    return state


def match_weights(source: dict[str, torch.Tensor], target: dict[str, torch.Tensor], classifier: tuple[str, ...],
                  origin: str, network: str) -> WeightsMatch:
    """`source`'s tensors under `target`'s names (module docstring); `classifier` are the prefixes of the
    network's classifier keys; errors name `origin` (the file) and `network`."""
    source = {key: value for key, value in _strip_wrapper(source, target).items() if not key.endswith(BOOKKEEPING)}
    shapes = {key: _shape(value) for key, value in target.items() if not key.endswith(BOOKKEEPING)}
    is_head = lambda key: key.startswith(classifier)  # noqa: E731
    match = WeightsMatch({})
    for key, shape in shapes.items():   # 1. by name
        if key in source:
            if _shape(source[key]) != shape:
                if is_head(key):
                    continue   # a head for another number of classes: left over below
                raise ConfigError(f"{origin}: {key} has shape {_shape(source[key])}, {network} needs {shape}; "
                                  f"nothing written")
            match.state[key] = source[key]
            match.by_name += 1
    named = set(match.state)
    rest = [key for key in source if key not in named]
    body = [key for key in shapes if key not in named and not is_head(key)]
    for index, key in enumerate(body):   # 2. the rest by order and shape
        if index >= len(rest):
            raise ConfigError(f"{origin}: {len(body) - index} of {network}'s tensors are left without one of the "
                              f"file's (the first: {key} {shapes[key]}); the file has {len(source)} tensors; "
                              f"nothing written")
        if _shape(source[rest[index]]) != shapes[key]:
            raise ConfigError(f"{origin}: tensor {rest[index]} {_shape(source[rest[index]])} (number {index + 1} of "
                              f"those not matched by name) does not fit {network}'s {key} {shapes[key]}; nothing written")
        match.state[key] = source[rest[index]]
        match.by_order += 1
    remaining = rest[len(body):]
    heads = [key for key in shapes if key not in named and is_head(key)]
    if heads and len(remaining) >= len(heads) and all(
            _shape(source[s]) == shapes[t] for s, t in zip(remaining, heads)):
        match.state.update({t: source[s] for s, t in zip(remaining, heads)})
        match.by_order += len(heads)
        remaining = remaining[len(heads):]
    match.without_classifier = [key for key in heads if key not in match.state]
    foreign = [key for key in remaining if not CLASSIFIER_NAME.search(key)]
    if foreign:
        raise ConfigError(f"{origin}: {len(foreign)} of its tensors fit none of {network}'s (the first: {foreign[0]} "
                          f"{_shape(source[foreign[0]])}): not the weights of this network; nothing written")
    match.left_over = remaining
    for key, value in match.state.items():
        if key.endswith("running_var") and bool((value < 0).any()):
            raise ConfigError(f"{origin}: the tensor matched to {key} has negative values (a variance cannot): "
                              f"the file's tensors are in another order than {network}'s; nothing written")
    return match


def _network_weights(encoder: str) -> tuple[dict[str, torch.Tensor], tuple[str, ...]]:
    """The full published network of `encoder` with random weights (its keys and shapes) and the
    prefixes of its classifier keys."""
    if encoder.startswith(TIMM_PREFIX):
        import timm
        model = timm.create_model(timm_name(encoder).split(".")[0], pretrained=False)
        heads = model.pretrained_cfg.get("classifier") or "classifier"
        heads = (heads,) if isinstance(heads, str) else tuple(heads)
        return model.state_dict(), tuple(f"{head}." for head in heads)
    import torchvision
    with torch.device("meta"):   # keys and shapes only: vgg16's classifier alone is 120M parameters
        model = getattr(torchvision.models, encoder)(weights=None)
    return model.state_dict(), ("fc.", "classifier.")


def _imported_source(encoder: str, tag: str) -> WeightsSource:
    """Where the resolver will look for (`encoder`, `tag`): the maker's name for a tag it publishes,
    else a repo of timm's naming for the new tag (pretrained.py finds it there)."""
    try:
        return weights_source(encoder, tag)
    except ConfigError:
        if not encoder.startswith(TIMM_PREFIX) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", tag):
            raise
        import timm
        architecture = timm_name(encoder).split(".")[0]
        if not timm.is_model(architecture):
            raise
        return WeightsSource(f"{TIMM_PREFIX}{architecture}", tag, hf_hub_id=f"timm/{architecture}.{tag}")


def write_hf_cache_entry(repo_id: str, state: dict[str, torch.Tensor], cache: Path | None = None) -> Path:
    """`state` as model.safetensors of `repo_id` in the Hugging Face cache, laid out as huggingface_hub
    writes it (blobs/<sha256>, snapshots/<revision>/model.safetensors -> the blob, refs/main), so that
    try_to_load_from_cache, hf_hub_download offline and scan_cache_dir all find it."""
    from safetensors.torch import save_file
    repo = (cache or hf_hub_cache()) / f"models--{repo_id.replace('/', '--')}"
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=repo / "blobs", suffix=".incomplete", delete=False) as staging:
        staging_path = Path(staging.name)
    try:
        save_file({key: value.detach().contiguous() for key, value in state.items()}, str(staging_path),
                  metadata={"format": "pt"})
        digest = hashlib.sha256(staging_path.read_bytes()).hexdigest()
        blob = repo / "blobs" / digest
        os.replace(staging_path, blob)
    finally:
        staging_path.unlink(missing_ok=True)
    revision = hashlib.sha1(digest.encode()).hexdigest()   # a local revision: the content's own name
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True, exist_ok=True)
    link = snapshot / "model.safetensors"
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(blob, snapshot))
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    return link


def _write_torch_hub_file(target: Path, state: dict[str, torch.Tensor]) -> Path:
    """A plain tensor state dict at torch.hub's place for the URL, written atomically."""
    from ..files import write_atomically
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, lambda file: torch.save(state, file))
    return target


def import_weights(path: str | Path, encoder: str, tag: str = IMAGENET) -> ImportedWeights:
    """`unetkit weights import`: FILE's tensors matched onto `encoder`'s network and written into the cache
    the resolver reads for (`encoder`, `tag`); nothing is written when they do not match."""
    path = Path(path)
    source_state = read_state_dict(path)
    source = _imported_source(encoder, tag)
    target, classifier = _network_weights(source.encoder)
    match = match_weights(source_state, target, classifier, str(path), source.encoder)
    counters = {key: torch.zeros_like(value, device="cpu") for key, value in target.items() if key.endswith(BOOKKEEPING)}
    written = {key: (match.state[key] if key in match.state else counters[key]).to("cpu")
               for key in target if key in match.state or key in counters}
    if source.hf_hub_id:
        where = write_hf_cache_entry(source.hf_hub_id, written)
    else:
        where = _write_torch_hub_file(source.url_file(), written)
    return ImportedWeights(source, where, match)
