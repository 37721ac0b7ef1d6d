"""Training: the loop, atomic checkpoints, learning-rate schedules."""
from .checkpoint import load_checkpoint, save_checkpoint
from .trainer import Interrupted, train

__all__ = ["Interrupted", "load_checkpoint", "save_checkpoint", "train"]
