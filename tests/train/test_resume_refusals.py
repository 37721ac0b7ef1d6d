"""--resume refusals (issue 31): each fed the run it must refuse, with a message naming the file and what to do."""
import pytest

from unetkit.config import load_config
from unetkit.errors import CheckpointError, ConfigError
from unetkit.train import train

from ..conftest import tiny_overrides


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, synthetic_root):
    run = tmp_path_factory.mktemp("resume") / "run"
    train(load_config(None, [*tiny_overrides(synthetic_root), "train.epochs=1"]), run)
    return run


@pytest.mark.parametrize(("overrides", "words"), [
    (["model.base_channels=8"], "model.base_channels was 4 in this run, now 8"),
    (["train.ema=0.99"], "train.ema was 0.0 in this run, now 0.99"),
])
def test_a_resume_that_changes_what_is_learnt_names_the_key(finished_run, synthetic_root, overrides, words):
    """issue 43: the changed key is named before the weights are loaded (not 'weights do not fit')."""
    config = load_config(None, [*tiny_overrides(synthetic_root), "train.epochs=2", *overrides])
    with pytest.raises(ConfigError, match=words) as raised:
        train(config, finished_run, resume=True)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(("overrides", "error", "words"), [
    (["model.base_channels=8"], CheckpointError, "do not fit the model of this config"),
    (["train.ema=0.99"], CheckpointError, "written without train.ema"),
])
def test_a_resume_that_cannot_continue_the_run_is_refused(finished_run, synthetic_root, tmp_path, overrides, error,
                                                          words):
    """Without the run's config.yaml to compare with, the checkpoint itself refuses."""
    import shutil
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    (run / "config.yaml").unlink()
    config = load_config(None, [*tiny_overrides(synthetic_root), "train.epochs=2", *overrides])
    with pytest.raises(error, match=words) as raised:
        train(config, run, resume=True)
    assert "last.pt" in str(raised.value) and "\n" not in str(raised.value)


def test_a_fresh_run_into_a_used_folder_and_a_resume_of_nothing_are_refused(finished_run, tmp_path, synthetic_root):
    config = load_config(None, tiny_overrides(synthetic_root))
    with pytest.raises(ConfigError, match="already holds a training run; pass --resume"):
        train(config, finished_run)
    with pytest.raises(CheckpointError, match="nothing to resume"):
        train(config, tmp_path / "empty", resume=True)
