"""U-Net models and the name -> builder registry."""
from .registry import MODELS, build_model
from .unet import UNet

__all__ = ["MODELS", "UNet", "build_model"]
