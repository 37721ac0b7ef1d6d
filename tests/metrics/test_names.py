"""metrics/names.py is the one list of scalar metrics: what evaluations compute, what train.monitor takes."""
import pytest
import torch

from unetkit.config import load_config
from unetkit.errors import ConfigError
from unetkit.metrics import EXTRA_METRICS, METRIC_NAMES, SegmentationMetrics, every_evaluation_metrics


def test_every_evaluation_computes_each_listed_metric_and_the_extras_are_registered():
    metrics = SegmentationMetrics(2)
    metrics.update(torch.softmax(torch.randn(2, 8, 8), 0), torch.randint(0, 2, (8, 8)))
    computed = metrics.compute()
    assert set(every_evaluation_metrics()) <= set(computed)
    assert {name for name, metric in METRIC_NAMES.items() if not metric.every_evaluation} == set(EXTRA_METRICS.names())


def test_train_monitor_takes_its_choices_from_the_names():
    with pytest.raises(ConfigError, match="config key 'train.monitor' must be one of f1, dice, miou"):
        load_config(None, ["data.format=synthetic", "train.monitor=accuracy"])
    with pytest.raises(ConfigError, match="rand_error is scored on data.format=isbi only"):
        load_config(None, ["data.format=synthetic", "train.monitor=rand_error"])


def test_lower_is_better_for_errors_only_and_unknown_names():
    from unetkit.metrics.names import lower_is_better
    errors = [name for name, metric in METRIC_NAMES.items() if metric.lower_is_better]
    assert {"rand_error", "pixel_error", "ece"} <= set(errors) and all(lower_is_better(name) for name in errors)
    assert not lower_is_better("miou") and not lower_is_better("f1")
    assert not lower_is_better("no_such_metric")          # unknown: a score, and no KeyError


def test_scalar_metrics_leave_the_binary_only_ones_out_when_asked():
    from unetkit.metrics.names import METRIC_NAMES, scalar_metrics
    everything, multiclass = scalar_metrics(), scalar_metrics(include_binary_only=False)
    assert everything == tuple(METRIC_NAMES) and set(multiclass) < set(everything)
    assert {name for name in everything if name not in multiclass} == {
        name for name, metric in METRIC_NAMES.items() if metric.binary_only} and "auc" not in multiclass
