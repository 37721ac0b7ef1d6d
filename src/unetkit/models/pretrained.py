"""Where an encoder's pretrained weights come from: `model.encoder_weights` resolved to one local file.

The order (docs/models.md, "Pretrained encoders"):
1. a path to a file: that file (a torchvision state dict or a timm checkpoint, .pth/.pt/.bin/.safetensors);
2. `imagenet`, or a named tag: the file the encoder's maker publishes -- torchvision's weights for
   vgg16 and resnet18/34/50 (`imagenet` = IMAGENET1K_V1, or a tag such as IMAGENET1K_V2), timm's
   pretrained tag for tu-* encoders (`imagenet` = the model's default tag, or a tag such as in12k_ft_in1k),
   or a tag of one's own that `unetkit weights import` wrote (weights_import.py);
   looked up first in the standard caches: the Hugging Face cache (HF_HOME / HF_HUB_CACHE) for timm's
   hub files, then torch.hub's ($TORCH_HOME/hub/checkpoints) for a URL's file;
3. not cached: downloaded into those caches, with a progress bar, unless downloads are off
   (HF_HUB_OFFLINE=1 or UNETKIT_OFFLINE=1); off or failing, one error naming the file and the
   command that fetches it (`unetkit weights fetch ENCODER`, on a connected machine, then copy the cache).

A trained checkpoint holds the encoder's weights: loading one never comes here (models/checkpoint.py).
Written by hand around the two libraries' own caches (torch.hub, huggingface_hub) because neither
knows the other's and timm, called with pretrained=True, would download without asking.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ..errors import ConfigError
from .timm_encoder import TIMM_PREFIX, timm_name

log = logging.getLogger(__name__)

IMAGENET = "imagenet"
TORCHVISION_WEIGHTS = {"vgg16": "VGG16_Weights", "resnet18": "ResNet18_Weights", "resnet34": "ResNet34_Weights",
                       "resnet50": "ResNet50_Weights"}
HF_FILES = ("model.safetensors", "pytorch_model.bin")   # what timm's hub repos hold, in timm's order of preference
FILE_SUFFIXES = (".pth", ".pt", ".bin", ".safetensors")


class WeightsNotCached(ConfigError):
    """The weights are in no cache and cannot be downloaded here."""


def downloads_allowed() -> bool:
    """False when HF_HUB_OFFLINE or UNETKIT_OFFLINE is set to a true value (1, true, yes, on)."""
    return not any(os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
                   for name in ("HF_HUB_OFFLINE", "UNETKIT_OFFLINE"))


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub (HF_ENDPOINT) answers a TCP connection within `timeout` seconds: the
    plan asks before a download it may do without, since huggingface_hub retries a failing one for a minute."""
    import socket
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache as huggingface_hub places it (HF_HUB_CACHE, else HF_HOME/hub, else
    ~/.cache/huggingface/hub), read now: huggingface_hub reads the variables once, at its import."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "huggingface"
    return Path(home).expanduser() / "hub"


def torch_hub_checkpoints() -> Path:
    """torch.hub's cache of downloaded weights ($TORCH_HOME/hub/checkpoints)."""
    import torch
    return Path(torch.hub.get_dir()) / "checkpoints"


def is_weights_path(value: str) -> bool:
    """Whether model.encoder_weights names a file (rather than `imagenet` or a tag)."""
    return "/" in value or os.sep in value or value.endswith(FILE_SUFFIXES) or Path(value).is_file()


@dataclass(frozen=True)
class WeightsSource:
    """One published weights file of one encoder: a Hugging Face repo (timm) and/or a URL."""
    encoder: str          # tu-convnext_atto, resnet34
    tag: str              # d2_in1k, IMAGENET1K_V1
    url: str = ""
    hf_hub_id: str = ""
    hf_filename: str = ""  # the repo's file when timm names one; else HF_FILES

    @property
    def label(self) -> str:
        return f"{self.encoder} ({self.tag})"

    def url_file(self) -> Path | None:
        """Where torch.hub keeps the URL's file."""
        return torch_hub_checkpoints() / Path(urlparse(self.url).path).name if self.url else None

    def cached_file(self) -> Path | None:
        """The file in a cache, or None."""
        if self.hf_hub_id:
            from huggingface_hub import try_to_load_from_cache
            for filename in (self.hf_filename,) if self.hf_filename else HF_FILES:
                found = try_to_load_from_cache(self.hf_hub_id, filename, cache_dir=hf_hub_cache())
                if isinstance(found, str) and Path(found).is_file():
                    return Path(found)
        url_file = self.url_file()
        return url_file if url_file is not None and url_file.is_file() else None

    def places(self) -> str:
        """Where cached_file looked, for an error message."""
        looked = []
        if self.hf_hub_id:
            looked.append(f"{self.hf_hub_id} in the Hugging Face cache {hf_hub_cache()}")
        if self.url:
            looked.append(f"{self.url_file()}")
        return " and ".join(looked)

    def download(self) -> Path:
        """Into the caches (Hugging Face's first, as timm does; else torch.hub's), with a progress bar."""
        if self.hf_hub_id:
            from huggingface_hub import hf_hub_download
            errors = []
            for filename in (self.hf_filename,) if self.hf_filename else HF_FILES:
                try:
                    return Path(hf_hub_download(self.hf_hub_id, filename, cache_dir=hf_hub_cache()))
                except Exception as error:  # noqa: BLE001 -- the next file, then the URL, then one message
                    errors.append(error)
            if not self.url:
                raise errors[-1]
        import torch
        target = self.url_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(self.url, str(target), progress=True)
        return target


def weights_source(encoder: str, weights: str = IMAGENET) -> WeightsSource:
    """The published file behind (`encoder`, `imagenet` or a tag)."""
    if encoder.startswith(TIMM_PREFIX):
        return _timm_source(timm_name(encoder), weights)
    if encoder in TORCHVISION_WEIGHTS:
        return _torchvision_source(encoder, weights)
    raise ConfigError(f"model.encoder={encoder!r}: no published weights known for it (torchvision's "
                      f"{', '.join(TORCHVISION_WEIGHTS)}, or tu-<timm model>)")


def _torchvision_source(encoder: str, weights: str) -> WeightsSource:
    import torchvision
    tag = "IMAGENET1K_V1" if weights == IMAGENET else weights
    enum = getattr(torchvision.models, TORCHVISION_WEIGHTS[encoder])
    if tag not in enum.__members__:
        raise ConfigError(f"model.encoder_weights={weights!r}: torchvision publishes {encoder} as "
                          f"{', '.join(enum.__members__)} (or imagenet = IMAGENET1K_V1)")
    return WeightsSource(encoder, tag, url=enum[tag].url)


def _timm_source(name: str, weights: str) -> WeightsSource:
    import timm
    architecture = name.split(".")[0]
    if not timm.is_model(architecture):
        raise ConfigError(f"model.encoder={TIMM_PREFIX}{name}: timm has no model '{architecture}'")
    full = name if "." in name or weights == IMAGENET else f"{architecture}.{weights}"
    try:
        config = timm.models.get_pretrained_cfg(full)
    except RuntimeError:   # an unknown tag
        config = None
    if config is None or not (config.hf_hub_id or config.url):
        tag = name.split(".", 1)[1] if "." in name else weights
        imported = WeightsSource(f"{TIMM_PREFIX}{architecture}", tag, hf_hub_id=f"timm/{architecture}.{tag}")
        if imported.cached_file() is not None:   # a tag of one's own, brought in by `unetkit weights import`
            return imported
        tags = [t.split(".", 1)[1] for t in timm.list_pretrained(f"{architecture}.*")]
        raise ConfigError(f"model.encoder_weights={weights!r}: timm publishes no such weights for {architecture}"
                          + (f" (its tags: {', '.join(tags)})" if tags else " (it has no pretrained weights)"))
    return WeightsSource(f"{TIMM_PREFIX}{architecture}", config.tag or "default", url=config.url or "",
                         hf_hub_id=config.hf_hub_id or "", hf_filename=getattr(config, "hf_hub_filename", None) or "")


def resolve_weights_file(encoder: str, weights: str) -> Path:
    """model.encoder_weights as a local file, in the order of this module's docstring."""
    if is_weights_path(weights):
        path = Path(weights).expanduser()
        if not path.is_file():
            raise ConfigError(f"{weights}: file not found (model.encoder_weights)")
        return path
    source = weights_source(encoder, weights)
    cached = source.cached_file()
    if cached is not None:
        log.info("encoder weights %s: %s (cached)", source.label, cached)
        return cached
    fetch = f"`unetkit weights fetch {encoder}{'' if weights == IMAGENET else ':' + weights}`"
    if not downloads_allowed():
        raise WeightsNotCached(f"weights of {source.label} are not cached (looked for {source.places()}) and "
                               f"downloads are off (HF_HUB_OFFLINE/UNETKIT_OFFLINE): run {fetch} on a connected "
                               f"machine and copy its cache here")
    log.info("downloading the weights of %s", source.label)
    try:
        return source.download()
    except Exception as error:  # noqa: BLE001 -- no network, a proxy, a 404: one line with the way out
        first = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise WeightsNotCached(f"weights of {source.label} are not cached (looked for {source.places()}) and the "
                               f"download failed ({first}): run {fetch} on a connected machine and copy its "
                               f"cache here") from None


def parse_fetch_name(item: str) -> tuple[str, str]:
    """`tu-convnext_atto`, `tu-convnext_atto:in12k_ft_in1k` or `resnet50:IMAGENET1K_V2` -> (encoder, weights)."""
    encoder, _, tag = item.partition(":")
    return encoder, tag or IMAGENET


def fetch_weights(item: str) -> tuple[WeightsSource, Path]:
    """`unetkit weights fetch`: the file in the cache, downloaded if it is not there yet."""
    encoder, weights = parse_fetch_name(item)
    source = weights_source(encoder, weights)
    return source, resolve_weights_file(encoder, weights)


@dataclass(frozen=True)
class CachedWeights:
    where: str            # "huggingface" | "torch.hub"
    name: str             # the repo (timm/convnext_atto.d2_in1k) or the file name
    path: Path
    size: int


def cached_weights() -> list[CachedWeights]:
    """`unetkit weights list`: timm's repos in the Hugging Face cache and the files of torch.hub's."""
    found = []
    try:
        from huggingface_hub import scan_cache_dir
        for repo in scan_cache_dir(hf_hub_cache()).repos:
            if repo.repo_type == "model" and repo.repo_id.startswith("timm/"):
                for revision in repo.revisions:
                    for file in revision.files:
                        if file.file_name in HF_FILES:
                            found.append(CachedWeights("huggingface", repo.repo_id, file.file_path, file.size_on_disk))
    except Exception as error:  # noqa: BLE001 -- no cache yet (CacheNotFound) or an unreadable one
        log.debug("Hugging Face cache: %s", error)
    folder = torch_hub_checkpoints()
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.is_file() and path.suffix in FILE_SUFFIXES:
            found.append(CachedWeights("torch.hub", path.name, path, path.stat().st_size))
    return found
