"""After a first model: where it is unsure, which labels look wrong, which images to label next
(`unetkit review`; docs/review.md)."""
from .label_next import rank_unlabeled
from .suspects import ImageProbabilities, Suspect, class_thresholds, quantized, rank_suspects

__all__ = ["ImageProbabilities", "Suspect", "class_thresholds", "quantized", "rank_suspects", "rank_unlabeled"]
