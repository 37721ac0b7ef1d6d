"""Exporting a trained network to run without unetkit's training code: ONNX and TorchScript files
with their metadata inside (formats.py), checked against the checkpoint (parity.py): the same
probabilities, and the metadata a user feeds and reads it by."""
from .formats import EXPORT_FORMATS, ExportFormat
from .parity import TOLERANCE, max_probability_difference, metadata_differences, parity_inputs, parity_sizes

__all__ = ["EXPORT_FORMATS", "TOLERANCE", "ExportFormat", "max_probability_difference", "metadata_differences",
           "parity_inputs", "parity_sizes"]
