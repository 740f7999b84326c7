"""The ``multi`` grader: named sub-graders combined by a ``calculate_output`` formula.

The sub-graders run concurrently on the item; the formula sees each one's score under its key in
``graders`` (``"0.5 * fuzzy + 0.5 * bleu"``). Semantics:

* operators: ``+ - * /``, unary ``-``/``+``, and ``^`` or ``**`` for powers. ``^`` is a power as
  in the hosted API, not Python's XOR, with a power's precedence (it is read as ``**``, so
  ``a ^ 2 + b`` is ``(a ** 2) + b``); numbers are literals such as ``2`` or ``0.5``.
* functions: ``min max abs round sqrt log exp pow floor ceil`` (``log`` is natural, ``log(x, b)``
  takes a base; powers are computed in floating point).
* ``graders`` maps keys to sub-graders in the graders reference shape (``text_similarity``
  without ``pass_threshold``, ``score_model`` without one too); one grader object given alone
  (the shape the SDK's ``MultiGrader`` type spells) is keyed by its ``name``.
* anything else (comparisons, attributes, strings, other names) is rejected when the config is
  read (a validation error, which :func:`.registry.parse_grader` reports as a ``ConfigError``
  naming the file and grader), listing the valid names; so are an invalid sub-grader and a
  sub-grader of type ``multi`` (the hosted API does not nest them).
* a sub-grader with no score but a ``passed`` verdict counts as 1.0 / 0.0.
* a failed sub-grader makes the outcome failed, naming it (the other sub-scores are kept in
  ``sub_scores``); so does a formula that fails on the item (division by zero, ``log(0)``) or
  gives a value that is not a finite number.

``passed`` is ``score >= pass_threshold`` when a threshold is set, else None.
"""

from __future__ import annotations

import ast
import asyncio
import math
from typing import TYPE_CHECKING, Any, Literal

from pydantic import field_validator, model_validator
from simpleeval import SimpleEval  # type: ignore[import-untyped]

from tutorloop.errors import ConfigError
from tutorloop.grade.base import GraderOutcome, GraderSpec, Sample
from tutorloop.records import GraderError

if TYPE_CHECKING:
    from tutorloop.grade.graders.env import GradeEnv


def _power(base: float, exponent: float) -> float:
    return math.pow(base, exponent)


FUNCTIONS: dict[str, Any] = {
    "min": min,
    "max": max,
    "abs": abs,
    "round": round,
    "sqrt": math.sqrt,
    "log": math.log,
    "exp": math.exp,
    "pow": _power,
    "floor": math.floor,
    "ceil": math.ceil,
}
"""The functions a ``calculate_output`` formula may call."""

_OPERATORS: dict[type[ast.AST], Any] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: _power,
    ast.USub: lambda a: -a,
    ast.UAdd: lambda a: +a,
}
_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant, ast.Load)


def python_formula(formula: str) -> str:
    """``formula`` as Python reads it: ``^`` (a power, as in the hosted API) becomes ``**``."""
    return formula.strip().replace("^", "**")


def formula_problem(formula: str, graders: list[str]) -> str | None:
    """What is wrong with ``formula`` (listing the valid names), or None when it is usable.

    A usable formula is one expression of numbers, ``graders``' names, :data:`FUNCTIONS` calls
    and arithmetic.
    """
    valid = f"valid names: {', '.join(graders)}; functions: {', '.join(FUNCTIONS)}"
    try:
        tree = ast.parse(python_formula(formula), mode="eval")
    except SyntaxError as exc:
        return f"calculate_output {formula!r} is not a formula ({exc.msg}); {valid}"
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        problem = None
        if not isinstance(node, _NODES + tuple(_OPERATORS)):
            problem = f"{type(node).__name__} is not supported (use + - * / ^ and functions)"
        elif isinstance(node, ast.Call) and (
            not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords
        ):
            problem = f"{ast.unparse(node.func)}(...) is not a supported function call"
        elif isinstance(node, ast.Name) and id(node) not in called and node.id not in graders:
            problem = f"unknown name {node.id!r}"
        elif isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            problem = f"the constant {node.value!r} is not a number"
        if problem:
            return f"calculate_output {formula!r}: {problem}; {valid}"
    return None


class MultiGrader(GraderSpec):
    """Combines named sub-graders' scores with a ``calculate_output`` formula."""

    type: Literal["multi"] = "multi"
    graders: dict[str, Any]
    """Sub-grader key → grader (given as ``testing_criteria``-style specs)."""
    calculate_output: str
    pass_threshold: float | None = None

    @field_validator("graders")
    @classmethod
    def _parse_graders(cls, value: dict[str, Any]) -> dict[str, Any]:
        from tutorloop.grade.graders.registry import parse_grader

        if isinstance(value, dict) and isinstance(value.get("type"), str):
            value = {str(value.get("name") or value["type"]): value}  # one grader, by its name
        if not value:
            raise ValueError("'graders' is empty: name at least one sub-grader")
        parsed: dict[str, Any] = {}
        for key, spec in value.items():
            where = f"sub-grader {key!r}"
            try:
                grader = spec if isinstance(spec, GraderSpec) else parse_grader(spec, where=where)
            except ConfigError as exc:
                text = exc.message.removeprefix(f"field '{exc.field}': ")
                raise ValueError(text + (f" (field '{exc.field}')" if exc.field else "")) from exc
            if isinstance(grader, MultiGrader):
                raise ValueError(f"{where}: a multi grader cannot contain a multi grader")
            parsed[key] = grader
        return parsed

    @model_validator(mode="after")
    def _known_names(self) -> MultiGrader:
        problem = formula_problem(self.calculate_output, list(self.graders))
        if problem:
            raise ValueError(problem)
        return self

    @property
    def sub_graders(self) -> dict[str, GraderSpec]:
        """The sub-graders by key."""
        return {key: grader for key, grader in self.graders.items()}

    def to_spec(self) -> dict[str, Any]:
        """The ``testing_criteria`` entry, sub-graders included."""
        spec = super().to_spec()
        spec["graders"] = {key: g.to_spec() for key, g in self.sub_graders.items()}
        return spec

    async def evaluate(self, item: dict[str, Any], sample: Sample, env: GradeEnv) -> GraderOutcome:
        """Run the sub-graders concurrently and combine their scores with the formula."""
        subs = self.sub_graders
        results = await asyncio.gather(
            *(g.grade(item, sample, env) for g in subs.values()), return_exceptions=True
        )
        scores: dict[str, float | None] = {}
        problems: list[str] = []
        for key, result in zip(subs, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                problems.append(f"{key!r} raised {type(result).__name__}: {result}")
                scores[key] = None
            elif result.error is not None:
                problems.append(f"{key!r} failed: {result.error.message}")
                scores[key] = None
            elif result.score is not None:
                scores[key] = result.score
            elif result.passed is not None:
                scores[key] = 1.0 if result.passed else 0.0
            else:
                problems.append(f"{key!r} gave no score")
                scores[key] = None
        if problems:
            message = "sub-grader " + "; ".join(problems)
            error = GraderError(type="SubGraderFailed", message=message)
            return self.outcome(error=error, sub_scores=scores)
        try:
            value = self._formula_value(scores)
        except Exception as exc:
            message = f"calculate_output {self.calculate_output!r} failed: "
            message += f"{type(exc).__name__}: {exc}"
            error = GraderError(type="FormulaError", message=message)
            return self.outcome(error=error, sub_scores=scores)
        passed = None if self.pass_threshold is None else value >= self.pass_threshold
        return self.outcome(score=value, passed=passed, sub_scores=scores)

    def _formula_value(self, scores: dict[str, float | None]) -> float:
        evaluator = SimpleEval(operators=_OPERATORS, functions=FUNCTIONS, names=dict(scores))
        value = evaluator.eval(python_formula(self.calculate_output))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"the formula gave {value!r}, not a number")
        if not math.isfinite(value):
            raise ValueError(f"the formula gave {value}, not a finite number")
        return float(value)
