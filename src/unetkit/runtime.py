"""Device and numeric-precision choices shared by training and inference.

On CPUs with bf16 instructions (AVX-512 BF16 or AMX), bf16 autocast with channels_last tensors is
several times faster than fp32; on CPUs with AVX-512 but neither (Skylake, Cascade Lake) bf16 is
emulated and slower than fp32, so `auto` means fp32 there. On CUDA, bf16 AMP where supported, fp16
with loss scaling otherwise. The environment variable UNETKIT_AUTO_PRECISION=fp32|bf16 says what
`auto` means on the CPU whatever it has (the test suite runs its bf16 half with it).
"""
from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass

import torch

from .errors import ConfigError, OutOfMemory

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
        kind = "GPU" if isinstance(error, torch.OutOfMemoryError) else "memory"
        raise OutOfMemory(f"out of {kind} at {advice}") from None


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' -> CUDA when available, else CPU; cpu, cuda, cuda:N and mps where this machine has them,
    else one ConfigError. On CUDA, cuDNN picks the fastest convolution algorithms for the shapes it sees
    (patch and tile sizes are fixed, so autotuning pays off)."""
    if name == "auto":
        return resolve_device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ConfigError(f"device {name!r} is not a device (auto, cpu, cuda, cuda:N, mps)") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {name!r}: this machine has no CUDA device that torch can use "
                              f"(use cpu, or auto)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA device(s), "
                              f"cuda:0 .. cuda:{torch.cuda.device_count() - 1}")
        torch.backends.cudnn.benchmark = True
    elif device.type == "mps":
        if not torch.backends.mps.is_available():
            raise ConfigError(f"device {name!r}: this machine has no Apple GPU (mps) (use cpu, or auto)")
    elif device.type != "cpu":
        raise ConfigError(f"device {name!r}: unetkit runs on cpu, cuda or mps")
    return device


AUTO_PRECISION_VARIABLE = "UNETKIT_AUTO_PRECISION"
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def cpu_bf16_feature() -> str | None:
    """The CPU feature that runs bf16 natively: 'AMX', 'AVX-512 BF16', or None (AVX-512 alone, AVX2:
    bf16 would be emulated). torch's own probes; they are private, so a torch without them counts as None."""
    probes = (("AMX", "_is_amx_tile_supported"), ("AVX-512 BF16", "_is_avx512_bf16_supported"))
    for feature, probe in probes:
        if getattr(torch.cpu, probe, lambda: False)():
            return feature
    return None


@dataclass(frozen=True)
class PrecisionChoice:
    """A resolved precision ('fp32', 'bf16', 'fp16') and why it was chosen, for the log and the run's config."""
    precision: str
    reason: str

    def __str__(self) -> str:
        return f"{self.precision}: {self.reason}"


def choose_precision(name: str, device: torch.device, key: str = "train.precision") -> PrecisionChoice:
    """'auto' -> bf16 where the hardware does it natively, fp32 otherwise; explicit names pass through.
    `key` names the setting in messages. On the CPU, 'auto' also reads UNETKIT_AUTO_PRECISION: an input
    from the environment, not an argument, so that processes a run or a test starts (torchrun ranks,
    the CLI in a subprocess) all resolve 'auto' alike."""
    if name not in PRECISIONS:
        raise ConfigError(f"{key}={name} is not a precision ({', '.join(PRECISIONS)})")
    if name != "auto":
        if name == "fp16" and device.type == "cpu":
            raise ConfigError(f"{key}=fp16 needs a CUDA device; use bf16 or fp32 on the CPU")
        if name == "bf16" and device.type == "cpu" and cpu_bf16_feature() is None:
            return PrecisionChoice(name, f"{key}=bf16, emulated on this CPU (no AVX-512 BF16 or AMX: slower than fp32)")
        return PrecisionChoice(name, f"{key}={name}")
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return PrecisionChoice("bf16", f"{torch.cuda.get_device_name(device)} supports bf16")
        return PrecisionChoice("fp16", f"{torch.cuda.get_device_name(device)} has no bf16 (fp16 with loss scaling)")
    forced = os.environ.get(AUTO_PRECISION_VARIABLE, "")
    if forced:
        if forced not in ("fp32", "bf16"):
            raise ConfigError(f"{AUTO_PRECISION_VARIABLE}={forced}: set it to fp32 or bf16, or unset it")
        return PrecisionChoice(forced, f"{AUTO_PRECISION_VARIABLE}={forced}")
    feature = cpu_bf16_feature()
    if feature is not None:
        return PrecisionChoice("bf16", feature)
    return PrecisionChoice("fp32", "no AVX-512 BF16 or AMX on this CPU")


def autocast(device: torch.device, precision: str):
    """The autocast context for `precision` ('fp32' -> a no-op context)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def memory_format(precision: str, device: torch.device) -> torch.memory_format:
    """channels_last wherever reduced precision runs (oneDNN and cuDNN prefer NHWC there)."""
    return torch.channels_last if precision != "fp32" or device.type == "cuda" else torch.contiguous_format
