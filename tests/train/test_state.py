from unetkit.metrics import lower_is_better
from unetkit.train.state import TrainState


def test_errors_improve_downwards_and_scores_upwards():
    assert lower_is_better("pixel_error") and lower_is_better("rand_error") and not lower_is_better("miou")
    errors = TrainState()
    assert [errors.record_score(s, "pixel_error") for s in (0.3, 0.4, 0.2)] == [True, False, True]
    assert errors.best_score == 0.2 and errors.validations_without_improvement == 0
    scores = TrainState()
    assert [scores.record_score(s, "miou") for s in (0.3, 0.2, 0.25)] == [True, False, False]
    assert scores.best_score == 0.3 and scores.validations_without_improvement == 2
