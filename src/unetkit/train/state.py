"""The counters of a run, the best-so-far bookkeeping, and the ways a run stops early."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnetkitError
from ..metrics import lower_is_better


@dataclass
class TrainState:
    """Everything besides weights that a resumed run needs to continue exactly where it stopped.

    Random numbers (patch positions, augmentation, dropout) are drawn from generators seeded by
    (seed, epoch), so the epoch counter is the whole RNG state a resumed run needs.
    """
    epoch: int = 0                       # epochs completed
    step: int = 0                        # optimizer steps completed
    best_score: float | None = None
    best_epoch: int = -1
    validations_without_improvement: int = 0
    train_seconds: float = 0.0
    lr_reductions: int = 0               # train.schedule=plateau: times the learning rate was lowered ...
    plateau_waits: int = 0               # ... and validations without gain since the last time
    world_size: int = 1                  # ranks that trained it (a step is then world_size batches)

    def record_score(self, score: float, monitor: str) -> bool:
        """Note a validation score of `monitor`; True when it is the best so far."""
        better = (self.best_score is None
                  or (score < self.best_score if lower_is_better(monitor) else score > self.best_score))
        if better:
            self.best_score, self.best_epoch = float(score), self.epoch
            self.validations_without_improvement = 0
            return True
        self.validations_without_improvement += 1
        return False


class TrainingDiverged(UnetkitError):
    """The loss became NaN or infinite; last.pt still holds the last good epoch."""


class Interrupted(Exception):
    """Training stopped by SIGINT/SIGTERM; last.pt holds the last completed epoch."""
