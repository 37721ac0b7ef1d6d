"""Training: the loop (trainer), its set-up, the run directory, schedules and k-fold runs."""
from .setup import model_for_config
from .state import Interrupted, TrainingDiverged
from .trainer import train

__all__ = ["Interrupted", "TrainingDiverged", "model_for_config", "train"]
