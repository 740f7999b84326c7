"""Learned graders: small scikit-learn text classifiers trained on human labels."""

from .cv import CURVE_FRACTIONS, CVReport, FoldScores, grouped_cv
from .data import training_data
from .model import LearnedGrader, TrainingData, load, save, train
from .pipeline import TrainConfig
from .sessions import LearnedSessionGrader, load_learned_graders
from .spec import LearnedGraderSpec

__all__ = [
    "CURVE_FRACTIONS",
    "CVReport",
    "FoldScores",
    "LearnedGrader",
    "LearnedGraderSpec",
    "LearnedSessionGrader",
    "TrainConfig",
    "TrainingData",
    "grouped_cv",
    "load",
    "load_learned_graders",
    "save",
    "train",
    "training_data",
]
