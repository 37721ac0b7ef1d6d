"""unetkit: train, evaluate, predict (and later explain, export, serve) U-Net segmentation models."""
from .config import Config, load_config
from .errors import CheckpointError, ConfigError, DataError, UnetkitError
from .infer import Prediction, Predictor
from .models import UNet, build_model
from .train import load_checkpoint, train

__version__ = "0.1.0"
__all__ = ["CheckpointError", "Config", "ConfigError", "DataError", "Prediction", "Predictor", "UNet",
           "UnetkitError", "build_model", "load_checkpoint", "load_config", "train"]
