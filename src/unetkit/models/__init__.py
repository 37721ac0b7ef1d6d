"""Everything a model is: the contract (base), the networks, the registry and the checkpoint."""
# isort: off
from .unet import UNet  # registered first: the plain U-Net leads the list of model choices
from .attention_unet import AttentionUNet
from .unetpp import UNetPlusPlus
from .encoder_unet import EncoderUNet
# isort: on
from .base import SegmentationModel
from .checkpoint import (
           ModelMeta,
           load_checkpoint,
           load_model,
           save_checkpoint,
           update_stored_settings,
)
from .normalization import Normalization
from .registry import (
           MODELS,
           ModelSpec,
           build_model,
           model_arguments,
           register_model,
           select_model_args,
)

__all__ = [
           "MODELS",
           "AttentionUNet",
           "EncoderUNet",
           "ModelMeta",
           "ModelSpec",
           "Normalization",
           "SegmentationModel",
           "UNet",
           "UNetPlusPlus",
           "build_model",
           "load_checkpoint",
           "load_model",
           "model_arguments",
           "register_model",
           "save_checkpoint",
           "select_model_args",
           "update_stored_settings",
]
