"""Inference: padding and tiling to the network's sizes, the Predictor and its Prediction."""
from .padding import crop_output, mirror_pad, pad_for_model, plan_padding
from .predictor import Prediction, Predictor, predict_probabilities

__all__ = ["Prediction", "Predictor", "crop_output", "mirror_pad", "pad_for_model", "plan_padding",
           "predict_probabilities"]
