"""Several checkpoints as one model: their class probabilities averaged (the k models of a
cross-validation, or models of different configs trained on the same classes).

EnsembleModel is a SegmentationModel, so the Predictor tiles, pads, flips and post-processes an
ensemble exactly as one network. Each member sees the input under its own normalisation (folds
compute their statistics on different images); the output is the log of the mean probabilities
(softmax heads) or the logit of the mean foreground probability (one sigmoid channel), which the
Predictor's softmax / sigmoid turns back into exactly that mean.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import torch
from torch import nn

from ..errors import CheckpointError
from ..losses.common import class_probabilities
from ..models import ModelMeta, SegmentationModel, load_model
from ..models.normalization import Normalization

EPSILON = 1e-7


class EnsembleModel(SegmentationModel):
    def __init__(self, members: list[SegmentationModel], normalizations: list[Normalization]):
        first = members[0]
        super().__init__(first.in_channels, first.out_channels)
        self.members = nn.ModuleList(members)
        self.padding = first.padding
        self._multiple = math.lcm(*(member.size_multiple for member in members))
        shape = (len(members), first.in_channels, 1, 1)
        # input arrives normalised with the first member's statistics; member i needs its own
        self.register_buffer("mean", torch.tensor([n.mean for n in normalizations], dtype=torch.float32).view(shape))
        self.register_buffer("std", torch.tensor([n.std for n in normalizations], dtype=torch.float32).view(shape))

    @property
    def size_multiple(self) -> int:
        return self._multiple

    def output_size(self, input_size: int) -> int:
        return self.members[0].output_size(input_size)

    def input_size_for(self, output_size: int) -> int:
        size = self.members[0].input_size_for(output_size)
        return -(-size // self._multiple) * self._multiple

    def member_views(self) -> list:
        """One context per member in which this model's forward is that member's alone (the Predictor's
        views for uncertainty: the members' disagreement is the mutual information)."""
        return [_OnlyMember(self, index) for index in range(len(self.members))]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        raw = images * self.std[0] + self.mean[0]
        total = None
        chosen = getattr(self, "_only", None)
        for index, member in enumerate(self.members):
            if chosen is not None and index != chosen:
                continue
            probabilities = class_probabilities(member((raw - self.mean[index]) / self.std[index]).float())
            total = probabilities if total is None else total + probabilities
        mean = (total / (1 if chosen is not None else len(self.members))).clamp(EPSILON, 1 - EPSILON)
        if self.out_channels == 1:
            return torch.log(mean[:, 1:2]) - torch.log1p(-mean[:, 1:2])   # logit of the mean foreground
        return torch.log(mean)

    def stages(self):
        return self.members[0].stages()


def checkpoint_paths(items: list[str | Path]) -> list[Path]:
    """Checkpoint files from files and folders: a run directory gives its best.pt, a cross-validation
    directory (unetkit train --folds) the best.pt of every fold_N."""
    paths = []
    for item in map(Path, items):
        if item.is_dir():
            folds = sorted(item.glob("fold_*/best.pt"), key=lambda p: int(p.parent.name.split("_")[1]))
            found = folds or ([item / "best.pt"] if (item / "best.pt").is_file() else [])
            if not found:
                raise CheckpointError(f"{item}: no best.pt and no fold_*/best.pt inside")
            paths += found
        else:
            paths.append(item)
    return paths


def load_models(items: list[str | Path] | str | Path) -> tuple[SegmentationModel, ModelMeta, list[Path]]:
    """(model, meta, checkpoint files): one checkpoint as it is, several as an EnsembleModel with the
    first one's metadata (and stored settings). Members must agree on classes, channels, padding."""
    paths = checkpoint_paths([items] if isinstance(items, (str, Path)) else list(items))
    loaded = [load_model(path) for path in paths]
    model, meta = loaded[0]
    if len(loaded) == 1:
        return model, meta, paths
    for path, (other, other_meta) in zip(paths[1:], loaded[1:]):
        if other_meta.class_names != meta.class_names or other.in_channels != model.in_channels:
            raise CheckpointError(f"{path}: classes {other_meta.class_names} / {other.in_channels} channels differ "
                                  f"from {paths[0]}'s ({meta.class_names} / {model.in_channels}): cannot average them")
        if other.padding != model.padding or (model.padding == "valid" and other.spec != model.spec):
            raise CheckpointError(f"{path}: its network's padding or size rules differ from {paths[0]}'s")
        if other.out_channels != model.out_channels:
            raise CheckpointError(f"{path}: {other.out_channels} output channels, {paths[0]} has "
                                  f"{model.out_channels} (a sigmoid and a softmax head): train them alike")
    ensemble = EnsembleModel([m for m, _ in loaded], [m.normalization for _, m in loaded]).eval()
    return ensemble, _with_mean_class_bias(meta, [m for _, m in loaded]), paths


def _with_mean_class_bias(meta: ModelMeta, members: list[ModelMeta]) -> ModelMeta:
    """Members fitted their own infer.class_bias (train.tune_class_bias) on their own validation folds: the
    averaged probabilities get the mean of their offsets (none for a member that stored none)."""
    biases = [((m.run_config or {}).get("infer") or {}).get("class_bias") or [] for m in members]
    if not any(biases):
        return meta
    mean = [round(sum(b[c] if b else 0.0 for b in biases) / len(biases), 3) for c in range(len(meta.class_names))]
    run_config = dict(meta.run_config or {})
    run_config["infer"] = {**(run_config.get("infer") or {}), "class_bias": mean}
    return dataclasses.replace(meta, run_config=run_config)


class _OnlyMember:
    """EnsembleModel.member_views' context: the ensemble runs member `index` alone inside it."""

    def __init__(self, ensemble: EnsembleModel, index: int):
        self.ensemble, self.index = ensemble, index

    def __enter__(self) -> None:
        self.ensemble._only = self.index

    def __exit__(self, *exc) -> None:
        self.ensemble._only = None
