"""Pictures of predictions: overlays, label PNGs, panels."""
from .overlay import blend_overlay, colorize, save_label_png
from .panels import side_by_side

__all__ = ["blend_overlay", "colorize", "save_label_png", "side_by_side"]
