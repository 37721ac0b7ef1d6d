"""CAM methods by name: the grad-cam package's (pytorch-grad-cam) implementations, registered.

unetkit records activations and gradients itself (explain/explainer.py: one forward and one
backward pass for all layers, gradients paired with their layer by autograd, not by hook order) and
asks the chosen method only for its per-layer map: `get_cam_image(input, layer, targets,
activations, gradients, eigen_smooth)`, the one step in which the methods differ.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..registry import Registry


@dataclass(frozen=True)
class CamMethod:
    """A registered method: the grad-cam class that computes it and whether it needs gradients."""
    name: str
    class_name: str
    uses_gradients: bool = True
    description: str = ""

    def build(self, model: torch.nn.Module):
        """The grad-cam object, with no target layers: unetkit hooks the layers, not grad-cam."""
        import pytorch_grad_cam  # a second or so to import; only the cam command needs it
        method = getattr(pytorch_grad_cam, self.class_name)(model=model, target_layers=[])
        method.batch_size = 8   # ScoreCAM's masked inputs per forward pass (the others ignore it)
        return method


CAM_METHODS: Registry[CamMethod] = Registry("CAM method")
for _method in (
    CamMethod("gradcam", "GradCAM", description="channel weights = mean gradient (Selvaraju et al. 2017)"),
    CamMethod("gradcam++", "GradCAMPlusPlus", description="second-order channel weights (Chattopadhay et al. 2018)"),
    CamMethod("xgradcam", "XGradCAM", description="activation-normalised gradient weights (Fu et al. 2020)"),
    CamMethod("hirescam", "HiResCAM", description="gradient x activation per position (Draelos and Carin 2020)"),
    CamMethod("eigencam", "EigenCAM", uses_gradients=False,
              description="first principal component of the activations; class-agnostic (Muhammad and Yeasin 2020)"),
    CamMethod("scorecam", "ScoreCAM", uses_gradients=False,
              description="channel weights from forward passes on masked inputs; slow (Wang et al. 2020)"),
    CamMethod("layercam", "LayerCAM", description="positive gradient x activation per position (Jiang et al. 2021)"),
):
    CAM_METHODS.register(_method.name, _method)


def layer_map(method, input_tensor: torch.Tensor, layer_module: torch.nn.Module, targets: list,
              activations: torch.Tensor, gradients: torch.Tensor | None) -> np.ndarray:
    """One layer's map (h, w) >= 0 at the layer's own resolution, from its activations (1, C, h, w)
    and the target's gradients with respect to them."""
    grads = gradients.detach().float().cpu().numpy() if gradients is not None else None
    acts = activations.detach().float().cpu().numpy()
    cam = method.get_cam_image(input_tensor, layer_module, targets, acts, grads, False)
    return np.maximum(np.asarray(cam, dtype=np.float32)[0], 0.0)
