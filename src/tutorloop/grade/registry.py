"""Every grader kind by its ``type``: built-ins and plug-ins through one path, imported when used.

A kind is the dotted path of its :class:`~tutorloop.grade.base.GraderSpec` subclass, plus a flag
saying whether it is an OpenAI Evals grader type. Only those types may come from a
``testing_criteria`` file or a client of the Evals API
(:func:`~tutorloop.grade.graders.grader_types`): the other kinds run local code or load local
files (a learned grader unpickles its model), so they are built only by the caller's own code
(:func:`grader_from_spec`). A plug-in package adds an entry point in the group
``tutorloop.graders`` whose value is ``module:Class``; it is never an Evals type and cannot
replace a built-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from tutorloop.errors import ConfigError
from tutorloop.grade.base import GraderSpec

ENTRY_POINT_GROUP = "tutorloop.graders"
"""The entry-point group through which a package adds grader kinds."""


@dataclass(frozen=True)
class GraderKind:
    """Where a kind's class lives, and whether it is an OpenAI Evals grader type."""

    target: str
    """``module:Class`` of its :class:`~tutorloop.grade.base.GraderSpec` subclass."""
    evals: bool = False
    """An OpenAI Evals ``testing_criteria`` type: grader files and the Evals API accept it."""


_GRADERS = "tutorloop.grade.graders"

BUILTIN: dict[str, GraderKind] = {
    "string_check": GraderKind(f"{_GRADERS}.string_check:StringCheckGrader", evals=True),
    "text_similarity": GraderKind(f"{_GRADERS}.text_similarity:TextSimilarityGrader", evals=True),
    "score_model": GraderKind(f"{_GRADERS}.model_graders:ScoreModelGrader", evals=True),
    "label_model": GraderKind(f"{_GRADERS}.model_graders:LabelModelGrader", evals=True),
    "python": GraderKind(f"{_GRADERS}.python_grader:PythonGrader", evals=True),
    "multi": GraderKind(f"{_GRADERS}.multi:MultiGrader", evals=True),
    "study_mode": GraderKind("tutorloop.grade.heuristics.spec:StudyModeGrader"),
    "study_mode_judge": GraderKind("tutorloop.grade.judge.spec:StudyModeJudgeGrader"),
    "turn_heuristics": GraderKind("tutorloop.grade.turn.spec:TurnHeuristicsGrader"),
    "turn_judge": GraderKind("tutorloop.grade.turn.spec:TurnJudgeGrader"),
    "learned": GraderKind("tutorloop.grade.learned.spec:LearnedGraderSpec"),
    "align_judge": GraderKind("tutorloop.grade.judge.align_grader:AlignJudgeGrader"),
}
"""The kinds tutorloop ships, by ``type``."""


def grader_kinds() -> dict[str, GraderKind]:
    """Every known kind: the built-ins, then the plug-ins' entry points."""
    found = dict(BUILTIN)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, GraderKind(entry.value))
    return found


def grader_class(kind: str, *, evals_only: bool = False) -> type[GraderSpec]:
    """Import the class of ``kind``.

    Raises:
        ConfigError: the kind is unknown (or, with ``evals_only``, not an OpenAI Evals type),
            listing the valid ones; or its module cannot be imported.
    """
    kinds = grader_kinds()
    if evals_only:
        kinds = {name: k for name, k in kinds.items() if k.evals}
    found = kinds.get(kind)
    if found is None:
        what = "grader type" if evals_only else "grader kind"
        raise ConfigError(
            f"unknown {what} {kind!r}; valid {what}s: {', '.join(sorted(kinds))}", field="type"
        )
    module_name, _, attribute = found.target.partition(":")
    try:
        cls = getattr(import_module(module_name), attribute)
    except ImportError as exc:
        raise ConfigError(
            f"grader kind {kind!r} needs a package that is not installed ({exc.name}); "
            "pip install it"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, GraderSpec)):
        raise ConfigError(f"grader kind {kind!r} ({found.target}) is not a GraderSpec")
    return cls


def evals_grader_types() -> dict[str, type[GraderSpec]]:
    """``type`` → class, for the OpenAI Evals grader types only."""
    return {
        name: grader_class(name, evals_only=True)
        for name, kind in grader_kinds().items()
        if kind.evals
    }


def grader_from_spec(spec: Mapping[str, Any] | str) -> GraderSpec:
    """The grader a spec describes (:meth:`GraderSpec.to_spec`, or a bare kind name).

    For the caller's own configs: it builds every kind, including those that run local code or
    load local files. Data from a file or a client goes through
    :func:`~tutorloop.grade.graders.parse_criteria` instead, which accepts only the OpenAI
    Evals types.

    Raises:
        ConfigError: an unknown kind, or a spec its kind rejects (naming the field).
    """
    data: dict[str, Any] = {"type": spec} if isinstance(spec, str) else dict(spec)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ConfigError("a grader spec needs a 'type' naming its kind", field="type")
    cls = grader_class(kind)
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"grader {kind!r}: {message}", field=field) from exc
