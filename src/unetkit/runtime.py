"""Device and numeric-precision choices shared by training and inference.

On CPUs with AVX-512/AMX, bf16 autocast with channels_last tensors is several times faster than
fp32; on CUDA, bf16 AMP where supported, fp16 with loss scaling otherwise.
"""
from __future__ import annotations

import contextlib
import logging

import torch

log = logging.getLogger(__name__)


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA's OutOfMemoryError, or the CPU allocator's failure (a RuntimeError, or MemoryError)."""
    if isinstance(error, (torch.OutOfMemoryError, MemoryError)):
        return True
    text = str(error)
    return isinstance(error, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text
                                                or "not enough memory" in text)


@contextlib.contextmanager
def out_of_memory_advice(advice: str):
    """Turn running out of memory inside the block into a one-line OutOfMemory error giving `advice`."""
    try:
        yield
    except Exception as error:
        if not is_out_of_memory(error):
            raise
        from .errors import OutOfMemory
        kind = "GPU" if isinstance(error, torch.OutOfMemoryError) else "memory"
        raise OutOfMemory(f"out of {kind} at {advice}") from None


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' -> CUDA when available, else CPU. On CUDA, cuDNN picks the fastest convolution
    algorithms for the shapes it sees (patch and tile sizes are fixed, so autotuning pays off)."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device '{name}' asked for, but CUDA is not available on this machine")
        torch.backends.cudnn.benchmark = True
    return device


def cpu_supports_fast_bf16() -> bool:
    """True when the CPU has native bf16 matrix units (AVX-512 BF16 or AMX)."""
    capability = torch.backends.cpu.get_cpu_capability().lower()
    return "avx512" in capability or "amx" in capability


def resolve_precision(name: str, device: torch.device) -> str:
    """'auto' -> bf16 where the hardware does it fast, fp32 otherwise; explicit names pass through."""
    if name != "auto":
        if name == "fp16" and device.type == "cpu":
            raise ValueError("train.precision=fp16 needs a CUDA device; use bf16 or fp32 on the CPU")
        return name
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "bf16" if cpu_supports_fast_bf16() else "fp32"


def autocast(device: torch.device, precision: str):
    """The autocast context for `precision` ('fp32' -> a no-op context)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def memory_format(precision: str, device: torch.device) -> torch.memory_format:
    """channels_last wherever reduced precision runs (oneDNN and cuDNN prefer NHWC there)."""
    return torch.channels_last if precision != "fp32" or device.type == "cuda" else torch.contiguous_format
