"""Explanations: Grad-CAM and its kin for segmentation, per class, per layer, with a faithfulness score."""
from .explainer import Explainer, Explanation, explain, list_layers
from .layers import Layer, LayerTable
from .methods import CAM_METHODS, CamMethod

__all__ = ["CAM_METHODS", "CamMethod", "Explainer", "Explanation", "Layer", "LayerTable", "explain", "list_layers"]
