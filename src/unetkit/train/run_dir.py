"""A run directory: config.yaml, last.pt, best.pt (and epoch_NNN.pt), history.jsonl, train.log,
metrics.json (the final validation) and tensorboard/. The trainer's own output, written here only."""
from __future__ import annotations

import json
import logging
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..config import Config, save_config
from ..errors import CheckpointError, ConfigError
from ..files import remove_stale_temporaries, write_atomically, write_json
from ..models import ModelMeta, SegmentationModel, save_checkpoint


class RunDir:
    """The run directory of rank 0 (or of the one process): it writes."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.last = self.path / "last.pt"
        self.best = self.path / "best.pt"
        self.tensorboard = self.path / "tensorboard"

    def check(self, resume: bool) -> None:
        """Refuse to overwrite a run, or to resume one that is not there (nothing is written)."""
        if resume:
            if not self.last.is_file():
                raise CheckpointError(f"{self.last}: nothing to resume (train without --resume first)")
        elif self.last.is_file():
            raise ConfigError(f"{self.path}: already holds a training run; pass --resume to continue it "
                              f"or choose another --out")

    def prepare(self, resume: bool) -> bool:
        """Create the folder after `check`; True when this call made it (discard_unstarted may remove it)."""
        self.check(resume)
        made = not self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        for stale in remove_stale_temporaries(self.path):   # a write killed before its rename
            logging.getLogger(__name__).info("removed %s, left by an interrupted write", stale.name)
        return made

    def discard_unstarted(self) -> None:
        """Remove a folder this run made when it stops before its first checkpoint (data it could not read):
        no empty run is left behind to refuse the next attempt or to be mistaken for a result."""
        if not self.last.exists():
            shutil.rmtree(self.path, ignore_errors=True)

    @contextmanager
    def logging_to_file(self):
        """While training, unetkit's log also goes to train.log."""
        handler = logging.FileHandler(self.path / "train.log")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("unetkit")
        logger.addHandler(handler)
        # called from Python with logging unconfigured, the effective level is WARNING: train.log would
        # stay empty; INFO here reaches only this handler (the root's last-resort one prints warnings)
        level = logger.level
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
        try:
            yield
        finally:
            logger.setLevel(level)
            logger.removeHandler(handler)
            handler.close()

    @property
    def config_path(self) -> Path:
        return self.path / "config.yaml"

    def save_config(self, config: Config) -> None:
        save_config(config, self.config_path)

    def save_checkpoints(self, model: SegmentationModel, meta: ModelMeta, training: dict[str, Any], epoch: int,
                         is_best: bool, save_every: int) -> None:
        """best.pt when it is the best, epoch_NNN.pt every `save_every` epochs, and always last.pt --
        last, so a resume never starts ahead of best.pt."""
        if is_best:
            save_checkpoint(self.best, model, meta, training)
        if save_every and epoch % save_every == 0:
            save_checkpoint(self.path / f"epoch_{epoch:03d}.pt", model, meta, training)
        save_checkpoint(self.last, model, meta, training)

    def history(self) -> list[dict[str, Any]]:
        """history.jsonl's complete records (a half-written last line, from a killed run, is skipped)."""
        path = self.path / "history.jsonl"
        records = []
        for line in path.read_text().splitlines() if path.is_file() else []:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "epoch" in record:
                records.append(record)
        return records

    def trim_history(self, epoch: int) -> None:
        """On resume: keep the complete records up to `epoch` (last.pt's), dropping what a killed run
        wrote after it (a record whose checkpoint never landed, a half-written line)."""
        if not (self.path / "history.jsonl").is_file():
            return
        text = "".join(json.dumps(record) + "\n" for record in self.history() if record["epoch"] <= epoch).encode()
        write_atomically(self.path / "history.jsonl", lambda file: file.write(text))

    def append_history(self, record: dict[str, Any]) -> None:
        with open(self.path / "history.jsonl", "a") as history_file:
            history_file.write(json.dumps(record) + "\n")

    def save_metrics(self, metrics: dict[str, Any]) -> None:
        write_json(metrics, self.path / "metrics.json")


class PeerRunDir(RunDir):
    """The run directory as a rank other than 0 sees it (train/distributed.py): the same paths to read
    (last.pt on resume, config.yaml), and every write left to rank 0."""

    def prepare(self, resume: bool) -> bool:
        return False

    def discard_unstarted(self) -> None: ...

    @contextmanager
    def logging_to_file(self):
        yield

    def save_config(self, config: Config) -> None: ...

    def save_checkpoints(self, *args, **kwargs) -> None: ...

    def trim_history(self, epoch: int) -> None: ...

    def append_history(self, record: dict[str, Any]) -> None: ...

    def save_metrics(self, metrics: dict[str, Any]) -> None: ...
