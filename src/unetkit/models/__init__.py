"""Everything a model is: the contract (base), the networks, the registry and the checkpoint."""
from .base import SegmentationModel
from .checkpoint import ModelMeta, load_checkpoint, load_model, save_checkpoint
from .normalization import Normalization
from .registry import (
           MODELS,
           ModelSpec,
           build_model,
           model_arguments,
           register_model,
           select_model_args,
)
from .unet import UNet

__all__ = ["MODELS", "ModelMeta", "ModelSpec", "Normalization", "SegmentationModel", "UNet", "build_model",
           "load_checkpoint", "load_model", "model_arguments", "register_model", "save_checkpoint",
           "select_model_args"]
