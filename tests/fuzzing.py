"""Shared settings of the property-based (hypothesis) fuzz tests.

`make test` runs each fuzz test on a fixed, reproducible set of examples (derandomized) sized to add
well under 2 minutes; `UNETKIT_FUZZ_SCALE=50 .venv/bin/python -m pytest tests -k fuzz
--hypothesis-show-statistics` runs 50 times as many, freshly random (docs/reliability.md).
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SCALE = max(1, int(os.environ.get("UNETKIT_FUZZ_SCALE", "1")))


def fuzz(examples: int):
    """@settings for one fuzz test: `examples` inputs per run of `make test` (x SCALE when asked)."""
    return settings(max_examples=examples * SCALE, deadline=None, derandomize=SCALE == 1, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])
