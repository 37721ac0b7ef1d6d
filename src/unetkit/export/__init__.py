"""Exporting a trained network to run without unetkit's training code: ONNX and TorchScript files
with their metadata inside (formats.py), checked against the checkpoint (parity.py)."""
from .formats import EXPORT_FORMATS, ExportFormat
from .parity import TOLERANCE, max_probability_difference, parity_inputs, parity_sizes

__all__ = ["EXPORT_FORMATS", "TOLERANCE", "ExportFormat", "max_probability_difference", "parity_inputs",
           "parity_sizes"]
