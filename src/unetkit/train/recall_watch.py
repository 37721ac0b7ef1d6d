"""A warning when validation keeps finding nothing of a foreground class: the symptom of masks read
the wrong way ("my predictions are all black"), which otherwise shows only as an IoU of 0 at the end."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class RecallWatch:
    """Counts, per foreground class, the validations in a row with recall 0; warns once per class
    when the count reaches `after`. A class absent from the validation masks (recall n/a) is skipped."""
    after: int = 2
    zero_streak: dict[str, int] = field(default_factory=dict)
    warned: set[str] = field(default_factory=set)

    def check(self, metrics: dict, data_hint: str = "") -> list[str]:
        """Update with one validation's metrics; returns (and logs) the warnings it gives now."""
        recalls = metrics.get("recall_per_class") or {}
        # another foreground class found: the masks are read right and this class is not learned (yet)
        others_found = sum(1 for recall in list(recalls.values())[1:] if recall and not math.isnan(recall))
        warnings = []
        for name in list(recalls)[1:]:          # class 0 is the background
            recall = recalls[name]
            if recall is None or math.isnan(recall):
                continue
            self.zero_streak[name] = self.zero_streak.get(name, 0) + 1 if recall == 0 else 0
            if self.zero_streak[name] >= self.after and name not in self.warned:
                self.warned.add(name)
                if others_found:
                    warnings.append(f"class '{name}' has validation recall 0 in {self.zero_streak[name]} "
                                    f"validations in a row while other classes are found: a small or hard "
                                    f"class not learned yet (docs/imbalance.md: class-aware patches, losses)")
                    continue
                warnings.append(f"class '{name}' has validation recall 0 in {self.zero_streak[name]} validations "
                                f"in a row: check the masks ({data_hint}): do their values mean what "
                                f"these keys say? `unetkit inspect DATA_ROOT` shows what the masks hold")
        for warning in warnings:
            log.warning(warning)
        return warnings
