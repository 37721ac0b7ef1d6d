"""The layers of a network one can explain: named stages and every conv, with channels and stride.

A probe runs the network twice on small inputs and records, for every module, its output shape:
channels, and the stride that maps the layer's grid onto the input grid. Strides come from the
difference of two input sizes, so they are right for the paper's valid-padding U-Net too, whose
feature maps are the input's centre shrunk by the unpadded convolutions.
"""
from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import ConfigError
from ..models import SegmentationModel

CONV_TYPES = (nn.Conv2d, nn.ConvTranspose2d)
ACTIVATION_TYPES = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.PReLU)
PASS_THROUGH_TYPES = (nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d, nn.Identity, nn.Dropout, nn.Dropout2d)


@dataclass(frozen=True)
class Layer:
    """A layer to explain: `name` as users type it, `module_name` inside the model, `kind` 'stage'
    or 'conv' (or 'module' for any other module asked for by name). `module` is the module whose
    output is explained: for a conv followed by its norm and activation in the same Sequential, the
    activation (Grad-CAM explains rectified feature maps), else the conv itself."""
    name: str
    module_name: str
    module: nn.Module
    kind: str
    channels: int
    stride: float       # input pixels per layer pixel (1 at full resolution, 16 at a depth-4 bottleneck)
    order: int          # position in the forward pass

    conv: nn.Module | None = None   # the conv itself, for conv layers

    @property
    def is_spatial_conv(self) -> bool:
        return self.conv is not None and max(self.conv.kernel_size) > 1

    def describe(self) -> str:
        where = f" ({self.module_name})" if self.module_name != self.name else ""
        stride = f"{self.stride:g}" if self.stride else "?"
        what = type(self.module).__name__
        if self.conv is not None and self.conv is not self.module:
            what = f"{type(self.conv).__name__}+{what}"
        return f"{self.name}{where}  {self.kind}  {what}  {self.channels} ch  stride {stride}"


@dataclass
class Recording:
    """What forward hooks saw: name -> outputs (shapes only unless kept), and the names in the order
    the modules finished (a container finishes after its children)."""
    outputs: dict[str, list]
    finished: list[str]


@contextmanager
def outputs_recorded(modules: dict[str, nn.Module], keep: bool = False) -> Iterator[Recording]:
    """Forward hooks on `modules` recording their 4-D tensor outputs (the tensors themselves when
    `keep`, else their shapes). The hooks are removed on leaving, also after an error, so nothing
    recorded outlives the block through the model."""
    recording = Recording({name: [] for name in modules}, [])
    handles = []
    for name, module in modules.items():
        def hook(_module, _inputs, output, name=name):
            if isinstance(output, torch.Tensor) and output.dim() == 4:
                recording.outputs[name].append(output if keep else tuple(output.shape))
                recording.finished.append(name)
        handles.append(module.register_forward_hook(hook))
    try:
        yield recording
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def activations_not_in_place(model: nn.Module) -> Iterator[None]:
    """Turn in-place activations off while explaining: an in-place ReLU after a conv would overwrite
    the conv's recorded output (and its gradient) with the ReLU's."""
    switched = [m for m in model.modules() if getattr(m, "inplace", False) is True]
    for module in switched:
        module.inplace = False
    try:
        yield
    finally:
        for module in switched:
            module.inplace = True


def _probe_sizes(model: SegmentationModel) -> tuple[int, int]:
    """Two input sides the network accepts, the second the next one up."""
    first = model.input_size_for(max(64, model.size_multiple))
    return first, model.input_size_for(model.output_size(first) + 1)


class LayerTable:
    """Every explainable layer of `model`, in forward order; stage names and module names both resolve."""

    def __init__(self, model: SegmentationModel):
        self.model = model
        modules = {name: module for name, module in model.named_modules() if name}
        sizes = _probe_sizes(model)
        recordings = []
        device = next(model.parameters()).device
        was_training = model.training
        model.eval()
        try:
            for size in sizes:
                with torch.no_grad(), outputs_recorded(modules) as recording:
                    model(torch.zeros(1, model.in_channels, size, size, device=device))
                recordings.append(recording)
        finally:
            model.train(was_training)
        small_run, large_run = recordings
        # a module run more than once per pass (a shared ReLU) has no single output to explain
        once = [name for name in small_run.finished if len(small_run.outputs[name]) == 1]
        order = {name: index for index, name in enumerate(once)}
        self.layers: dict[str, Layer] = {}
        for name in once:
            (_, channels, small, _), (_, _, large, _) = small_run.outputs[name][0], large_run.outputs[name][0]
            if large == small:   # no map: the same size whatever the input (squeeze-and-excitation's pooled convs)
                continue
            stride = (sizes[1] - sizes[0]) / (large - small)
            self.layers[name] = Layer(name, name, modules[name], "module", channels, stride, order[name])
        for name, layer in list(self.layers.items()):
            if isinstance(layer.module, CONV_TYPES):
                activation = self._activation_after(name, modules)
                self.layers[name] = dataclasses.replace(layer, kind="conv", conv=layer.module,
                                                        module=activation or layer.module)
        self.stages: list[Layer] = []
        names_of = {id(module): name for name, module in modules.items()}
        for stage_name, module in model.stages():
            found = self.layers.get(names_of.get(id(module), ""))
            if found is not None:
                stage = Layer(stage_name, found.module_name, module, "stage", found.channels, found.stride,
                              found.order)
                self.stages.append(stage)

    def _activation_after(self, conv_name: str, modules: dict[str, nn.Module]) -> nn.Module | None:
        """The activation that follows the conv in its Sequential (past norm / dropout), if it runs once."""
        parent_name, _, index = conv_name.rpartition(".")
        parent = modules.get(parent_name)
        if not isinstance(parent, nn.Sequential) or not index.isdigit():
            return None
        for position in range(int(index) + 1, len(parent)):
            follower = parent[position]
            if isinstance(follower, ACTIVATION_TYPES):
                return follower if f"{parent_name}.{position}" in self.layers else None
            if not isinstance(follower, PASS_THROUGH_TYPES):
                return None
        return None

    def listed(self) -> list[Layer]:
        """What `--list-layers` prints: the stages and every conv, in forward order."""
        convs = [layer for layer in self.layers.values() if layer.kind == "conv"]
        return sorted([*self.stages, *convs], key=lambda layer: (layer.order, layer.kind != "stage"))

    def convs(self) -> list[Layer]:
        """Every conv with a kernel above 1x1 (3x3 convs and 2x2 up-convs), shallow to deep: the VOC
        report's layer sweep."""
        return [layer for layer in self.listed() if layer.kind == "conv" and layer.is_spatial_conv]

    def default(self) -> list[Layer]:
        """The bottleneck and the decoder stages; for a model without stages, its last 3x3 conv."""
        chosen = [stage for stage in self.stages if stage.name == "bottleneck" or stage.name.startswith("dec")]
        return chosen or self.convs()[-1:]

    def resolve(self, names: list[str]) -> list[Layer]:
        """Layers by stage name or module name; an unknown name is a one-line error with close names."""
        by_name = {**self.layers, **{stage.name: stage for stage in self.stages}}
        resolved = []
        for name in names:
            if name not in by_name:
                close = difflib.get_close_matches(name, list(by_name), n=4, cutoff=0.5)
                hint = f"close: {', '.join(close)}; " if close else ""
                raise ConfigError(f"unknown layer '{name}' ({hint}see `unetkit cam --list-layers`)")
            resolved.append(by_name[name])
        return resolved
