"""OpenAI-Evals-compatible graders: the six ``testing_criteria`` types, run locally."""

from tutorloop.grade.base import GraderOutcome, GraderSpec, Sample

from .env import GradeEnv
from .python_grader import python_graders_refused, uses_python
from .registry import dump_graders, grader_types, load_graders, parse_criteria, parse_grader
from .templates import TemplateProblem, TemplateRenderer

__all__ = [
    "GradeEnv",
    "GraderOutcome",
    "GraderSpec",
    "Sample",
    "TemplateProblem",
    "TemplateRenderer",
    "dump_graders",
    "grader_types",
    "load_graders",
    "parse_criteria",
    "parse_grader",
    "python_graders_refused",
    "uses_python",
]
