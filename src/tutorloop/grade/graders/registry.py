"""The OpenAI Evals grader types, by ``type``, and loading ``testing_criteria`` lists from files.

A file is YAML or JSON: either a list of graders, or a mapping with a ``testing_criteria`` list
(the shape of an OpenAI Evals definition). Each entry is validated as the grader its ``type``
names; every problem names the file, the grader (index and name) and the field, and an unknown
type lists the valid ones. An entry's ``id`` (the hosted API's ``<name>-<uuid>`` of a testing
criterion in an eval) identifies the criterion, not the grader's config: it is accepted and left
out of the grader.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tutorloop.errors import ConfigError
from tutorloop.grade.base import GraderSpec
from tutorloop.grade.registry import evals_grader_types


def grader_types() -> dict[str, type[GraderSpec]]:
    """``type`` → grader class, for the OpenAI Evals grader types (and no other kind)."""
    return evals_grader_types()


def parse_grader(data: Any, where: str) -> GraderSpec:
    """One ``testing_criteria`` entry → its grader; ``where`` names it in errors."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a grader must be a mapping, found {type(data).__name__}")
    types = grader_types()
    kind = data.get("type")
    if kind not in types:
        raise ConfigError(
            f"{where}: unknown grader type {kind!r}; valid types: {', '.join(sorted(types))}",
            field="type",
        )
    config = {key: value for key, value in data.items() if key != "id"}
    try:
        return types[kind].model_validate(config)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"])
        hint = ""
        if first["type"] == "extra_forbidden":
            hint = f" (valid fields: {', '.join(sorted(types[kind].model_fields))})"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{where}: {message}{hint}", field=field) from exc


def parse_criteria(entries: Sequence[Any], source: str) -> list[GraderSpec]:
    """A ``testing_criteria`` list → graders; names must be unique."""
    graders: list[GraderSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"{source}: grader {index}" + (f" ({name!r})" if name else "")
        grader = parse_grader(entry, where)
        if grader.kind == "text_similarity" and getattr(grader, "pass_threshold", 0) is None:
            raise ConfigError(
                f"{where}: a text_similarity testing criterion needs pass_threshold (only a "
                "multi grader's sub-graders go without one)",
                field="pass_threshold",
            )
        if grader.name in seen:
            raise ConfigError(f"{where}: another grader is already called {grader.name!r}")
        seen.add(grader.name)
        graders.append(grader)
    if not graders:
        raise ConfigError(f"{source}: no graders in the file")
    return graders


def load_graders(path: str | Path) -> list[GraderSpec]:
    """Read a grader file (a list, or a mapping with ``testing_criteria``)."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("the grader file does not exist", path=str(file)) from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the grader file: {exc}", path=str(file)) from exc
    if isinstance(data, dict) and "testing_criteria" in data:
        data = data["testing_criteria"]
    if not isinstance(data, list):
        raise ConfigError(
            "expected a list of graders or a mapping with 'testing_criteria'", path=str(file)
        )
    return parse_criteria(data, str(file))


def dump_graders(graders: Sequence[GraderSpec]) -> dict[str, Any]:
    """The graders as a file would hold them: ``{"testing_criteria": [...]}``."""
    return {"testing_criteria": [g.to_spec() for g in graders]}
