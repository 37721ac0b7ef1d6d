"""What `auto` precision means on each CPU: bf16 only with native bf16 instructions (AVX-512 BF16 or
AMX), fp32 on AVX-512 alone (bf16 emulated there, slower than fp32) and on AVX2; the reason is named."""
import logging

import pytest
import torch

from unetkit.errors import ConfigError
from unetkit.runtime import AUTO_PRECISION_VARIABLE, choose_precision, cpu_bf16_feature

CPU = torch.device("cpu")


@pytest.fixture
def cpu_with(monkeypatch):
    """Pretend the CPU has (amx, avx512_bf16) and its capability is `capability` (no longer read: the rows
    with AVX512 and AVX2 capability guard against deciding by it again); no forcing variable."""
    def pretend(amx: bool, avx512_bf16: bool, capability: str = "AVX512"):
        monkeypatch.delenv(AUTO_PRECISION_VARIABLE, raising=False)
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
        monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
    return pretend


@pytest.mark.parametrize("amx, avx512_bf16, capability, expected, reason", [
    (True, True, "AVX512", "bf16", "AMX"),                            # Sapphire Rapids and later
    (False, True, "AVX512", "bf16", "AVX-512 BF16"),                  # Zen 4 EPYC, Cooper Lake
    (False, False, "AVX512", "fp32", "no AVX-512 BF16 or AMX"),       # Skylake / Cascade Lake: emulated bf16
    (False, False, "AVX2", "fp32", "no AVX-512 BF16 or AMX"),
])
def test_auto_is_bf16_only_where_the_cpu_has_bf16_instructions(cpu_with, amx, avx512_bf16, capability, expected,
                                                               reason):
    cpu_with(amx, avx512_bf16, capability)
    choice = choose_precision("auto", CPU)
    assert choice.precision == expected
    assert reason in choice.reason
    assert str(choice) == f"{expected}: {choice.reason}"


def test_explicit_precisions_pass_through_and_emulated_bf16_says_so(cpu_with):
    cpu_with(False, False)
    assert choose_precision("fp32", CPU).precision == "fp32"
    emulated = choose_precision("bf16", CPU)
    assert emulated.precision == "bf16" and "emulated" in emulated.reason
    cpu_with(True, False)
    assert choose_precision("bf16", CPU).reason == "train.precision=bf16"
    with pytest.raises(ConfigError, match="infer.precision=fp16 needs a CUDA device"):
        choose_precision("fp16", CPU, key="infer.precision")


def test_the_environment_variable_says_what_auto_means(cpu_with, monkeypatch):
    cpu_with(False, False, "AVX2")
    monkeypatch.setenv(AUTO_PRECISION_VARIABLE, "bf16")
    assert str(choose_precision("auto", CPU)) == f"bf16: {AUTO_PRECISION_VARIABLE}=bf16"
    assert choose_precision("fp32", CPU).precision == "fp32"   # an explicit setting wins
    monkeypatch.setenv(AUTO_PRECISION_VARIABLE, "fp8")
    with pytest.raises(ConfigError, match=f"{AUTO_PRECISION_VARIABLE}=fp8: set it to fp32 or bf16"):
        choose_precision("auto", CPU)


def test_a_torch_without_the_probes_counts_as_no_bf16(monkeypatch):
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported", raising=False)
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported", raising=False)
    assert cpu_bf16_feature() is None


@pytest.mark.parametrize("amx, used", [(False, "fp32: no AVX-512 BF16 or AMX on this CPU"), (True, "bf16: AMX")])
def test_training_logs_and_stores_the_precision_and_its_reason(cpu_with, tiny_config, tmp_path, caplog, amx, used):
    """An AVX-512 CPU without bf16 instructions trains in fp32, one with AMX in bf16, and each says why."""
    from unetkit.config import load_config
    from unetkit.train import train
    cpu_with(amx, False, "AVX512")
    tiny_config.train.precision = "auto"
    tiny_config.train.epochs = 1
    with caplog.at_level(logging.INFO, logger="unetkit"):
        train(tiny_config, tmp_path / "run")
    assert f"precision {used}" in caplog.text
    stored = load_config(tmp_path / "run" / "config.yaml")
    assert stored.train.precision == "auto"
    assert stored.train.precision_used == used
