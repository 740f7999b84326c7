"""The ``score_model`` grader (see :mod:`.model_graders`)."""

from .model_graders import ScoreModelGrader

__all__ = ["ScoreModelGrader"]
