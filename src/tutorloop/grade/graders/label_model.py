"""The ``label_model`` grader (see :mod:`.model_graders`)."""

from .model_graders import LabelModelGrader

__all__ = ["LabelModelGrader"]
