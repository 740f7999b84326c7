"""The ``label_model`` grader (see :mod:`.model_graders`)."""

from tutorloop.grade.graders.model_graders import LabelModelGrader

__all__ = ["LabelModelGrader"]
