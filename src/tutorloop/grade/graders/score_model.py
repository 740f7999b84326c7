"""The ``score_model`` grader (see :mod:`.model_graders`)."""

from tutorloop.grade.graders.model_graders import ScoreModelGrader

__all__ = ["ScoreModelGrader"]
