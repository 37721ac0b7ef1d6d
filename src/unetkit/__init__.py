"""unetkit: train, evaluate, predict (and later explain, export, serve) U-Net segmentation models.

Importing the package registers the built-in models, losses and data formats (models/, losses/,
data/formats/), whose names the config accepts.
"""
from .apps import evaluate_checkpoint, predict, run_demo, train_from_config
from .config import Config, load_config
from .data import FORMATS, DataFormat, register_format
from .errors import CheckpointError, ConfigError, DataError, UnetkitError
from .infer import Prediction, Predictor
from .losses import LOSSES
from .models import (
    MODELS,
    ModelMeta,
    SegmentationModel,
    UNet,
    build_model,
    load_checkpoint,
    load_model,
    register_model,
    save_checkpoint,
)
from .train import train

__version__ = "0.1.0"
__all__ = ["FORMATS", "LOSSES", "MODELS", "CheckpointError", "Config", "ConfigError", "DataError", "DataFormat",
           "ModelMeta", "Prediction", "Predictor", "SegmentationModel", "UNet", "UnetkitError", "build_model",
           "evaluate_checkpoint", "load_checkpoint", "load_config", "load_model", "predict", "register_format",
           "register_model", "run_demo", "save_checkpoint", "train", "train_from_config"]
