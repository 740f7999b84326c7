"""The ``string_check`` grader: compare the rendered ``input`` with the rendered ``reference``.

Semantics (as the hosted OpenAI Evals API documents them, made exact where it is silent):

* ``eq``: ``input == reference``: exact, case-sensitive, no trimming or normalisation
  (``"Paris "`` is not ``"Paris"``; two empty strings are equal, so they pass).
* ``ne``: ``input != reference``, the exact negation of ``eq``.
* ``like``: the reference is a substring of the input, case-sensitive. It is *not* SQL ``LIKE``:
  ``%`` and ``_`` are ordinary characters. An empty reference passes (every string contains
  ``""``), even against an empty input.
* ``ilike``: as ``like`` after :meth:`str.casefold` of both sides, so it is Unicode-aware
  (``"STRASSE"`` ilike ``"straße"`` passes).

The score is 1.0 when the check holds, else 0.0; ``passed`` is ``score == 1``. A template that
cannot be rendered (an undefined variable, a syntax error) is a failed outcome with the error
type ``TemplateProblem``, never a 0.
"""

from __future__ import annotations

from typing import Any, Literal

from tutorloop.grade.base import GraderOutcome, GraderSpec, Sample
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.grade.graders.templates import TemplateProblem

Operation = Literal["eq", "ne", "like", "ilike"]


def string_check(operation: Operation, text: str, reference: str) -> bool:
    """Whether ``text`` passes ``operation`` against ``reference`` (see the module docstring)."""
    if operation == "eq":
        return text == reference
    if operation == "ne":
        return text != reference
    if operation == "like":
        return reference in text
    return reference.casefold() in text.casefold()


class StringCheckGrader(GraderSpec):
    """Compares two rendered templates with ``eq``, ``ne``, ``like`` or ``ilike``."""

    type: Literal["string_check"] = "string_check"
    input: str
    """The text checked, a template such as ``{{ sample.output_text }}``."""
    reference: str
    """The text checked against, a template such as ``{{ item.answer }}``."""
    operation: Operation

    async def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderOutcome:
        """Render both templates and apply ``operation``; 1.0 when it holds, else 0.0."""
        values = sample.model_dump()
        try:
            text = env.renderer.render(self.input, item, values)
            reference = env.renderer.render(self.reference, item, values)
        except TemplateProblem as exc:
            return self.failed(exc)
        ok = string_check(self.operation, text, reference)
        return self.outcome(score=1.0 if ok else 0.0, passed=ok)
