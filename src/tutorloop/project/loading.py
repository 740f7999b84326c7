"""Finding and reading ``tutorloop.yaml``: every problem at once, each with file, line and field.

The file is read once as YAML nodes (for the line of every key) and once as data. The data is
validated on its own first, so that each problem points at its line; every gate metric of the
policy is checked against the metrics a run can have ("did you mean"). Only when the file is
sound are the environment variables and the flags laid over it (pydantic-settings); a problem
they bring is reported with the variable or flag that brought it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from tutorloop.analyse import metric_problem
from tutorloop.errors import ConfigError, InputProblems, Problem
from tutorloop.project.config import CONFIG_ENV, CONFIG_FILE, ENV_PREFIX, ProjectConfig, file_data
from tutorloop.pulse import GatePolicy

Loc = tuple[str | int, ...]

_PATH_FIELDS: tuple[tuple[str, str], ...] = (
    ("calls", "prices"),
    ("replay", "overlay"),
    ("grade", "graders"),
    ("grade", "heuristics"),
    ("paths", "store"),
    ("paths", "artifacts"),
    ("paths", "status_json"),
    ("paths", "report"),
)
"""Path settings, read relative to the config file's folder when written in the file."""


def find_config(explicit: str | Path | None = None, cwd: Path | None = None) -> Path | None:
    """The config file to read: ``explicit``, else ``$TUTORLOOP_CONFIG``, else ``./tutorloop.yaml``.

    Raises:
        ConfigError: a file named explicitly or by the variable does not exist.
    """
    named = explicit or os.environ.get(CONFIG_ENV) or None
    if named:
        path = Path(named)
        if not path.is_file():
            source = "--config" if explicit else CONFIG_ENV
            raise ConfigError(f"the config file {path} does not exist", field=source)
        return path
    found = (cwd or Path.cwd()) / CONFIG_FILE
    return found if found.is_file() else None


def load_project(
    path: str | Path | None = None,
    flags: Mapping[str, Any] | None = None,
    *,
    find: bool = True,
) -> ProjectConfig:
    """The project config: the file, then ``TUTORLOOP_*`` variables, then ``flags``.

    The file is ``path``, or the one :func:`find_config` finds when ``find``; ``flags`` are
    nested like the file (``{"calls": {"concurrency": 4}}``).

    Raises:
        InputProblems: every problem of the file, or of the variables and flags, each with its
            place (file, line, field) and what to do.
        ConfigError: the file cannot be read or is not YAML.
    """
    file = find_config(path) if find or path else None
    data: dict[str, Any] = {}
    if file is not None:
        data = read_config_file(file)
    with file_data(data):
        try:
            config = ProjectConfig(**dict(flags or {}))
        except ValidationError as exc:
            raise InputProblems(_override_problems(exc, flags or {})) from None
    problems = policy_problems(config.policy, str(file) if file else "flags", {})
    if problems:
        raise InputProblems(problems)
    return config


def read_config_file(file: Path) -> dict[str, Any]:
    """The data of a config file, checked on its own (paths made relative to its folder).

    Raises:
        InputProblems: every problem in the file, with lines.
        ConfigError: the file cannot be read or is not a YAML mapping.
    """
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the config file: {exc}", path=str(file)) from exc
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"invalid YAML: {exc}", path=f"{file}{line}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the config file must be a mapping of sections", path=str(file))
    lines = key_lines(root)
    problems: list[Problem] = []
    try:
        checked = ProjectConfig.model_validate(data)  # the file alone: no environment
    except ValidationError as exc:
        problems += validation_problems(exc, str(file), lines, ProjectConfig)
        # the policy's metrics are checked in the same pass when the policy itself is valid
        problems += policy_problems(_policy_alone(data.get("policy")), str(file), lines)
    else:
        problems += policy_problems(checked.policy, str(file), lines)
    if problems:
        raise InputProblems(problems)
    return _relative_to(data, file.parent)


def _policy_alone(data: Any) -> GatePolicy | None:
    """The file's policy when it is valid by itself (so its metrics can be checked)."""
    try:
        return GatePolicy.model_validate(data) if data is not None else None
    except ValidationError:
        return None


def key_lines(node: yaml.Node | None) -> dict[Loc, int]:
    """The 1-based line of every key and item in a composed YAML document, by its path."""
    found: dict[Loc, int] = {}

    def walk(node: yaml.Node, loc: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here = (*loc, str(key.value))
                found[here] = key.start_mark.line + 1
                walk(value, here)
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                here = (*loc, index)
                found[here] = value.start_mark.line + 1
                walk(value, here)

    if node is not None:
        walk(node, ())
    return found


def _line_of(loc: Loc, lines: Mapping[Loc, int]) -> int | None:
    """The line of the deepest part of ``loc`` the file has (pydantic adds type tags to locs)."""
    best: int | None = lines.get(())
    here: Loc = ()
    for part in loc:
        step = (*here, part)
        if step in lines:
            here = step
            best = lines[step]
    return best


def _field_of(loc: Loc) -> str:
    return ".".join(str(p) for p in loc if not _is_tag(p))


def _is_tag(part: str | int) -> bool:
    """A validator tag pydantic puts in a location (``function-after[...]``), not a key."""
    return isinstance(part, str) and "[" in part


def validation_problems(
    exc: ValidationError, path: str, lines: Mapping[Loc, int], model: type[BaseModel]
) -> list[Problem]:
    """One problem per validation error, each with its line, field and a hint."""
    problems = []
    for error in exc.errors(include_url=False):
        loc: Loc = tuple(error["loc"])
        message = str(error["msg"])
        hint = None
        if error["type"] == "extra_forbidden":
            valid = _valid_keys(model, [p for p in loc[:-1] if not _is_tag(p)])
            name = str(loc[-1])
            close = difflib.get_close_matches(name, valid, n=1)
            message = f"unknown setting '{name}'"
            hint = (f"did you mean '{close[0]}'? " if close else "") + (
                f"valid here: {', '.join(valid)}" if valid else ""
            )
        problems.append(
            Problem(path, message, line=_line_of(loc, lines), field=_field_of(loc), hint=hint)
        )
    return problems


def _valid_keys(model: type[BaseModel], parents: list[str | int]) -> list[str]:
    """The settings a section accepts, following ``parents`` down from ``model``.

    A part that is not a field (a key of ``endpoints``) stays in the same model.
    """
    current: Any = model
    for part in parents:
        fields = getattr(current, "model_fields", None)
        if fields is None:
            return []
        info = fields.get(str(part))
        if info is not None:
            current = _model_in(info.annotation)
    fields = getattr(current, "model_fields", None)
    return sorted(fields) if fields else []


def _model_in(annotation: Any) -> Any:
    """The pydantic model an annotation holds (``X | None``, ``dict[str, X]``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def policy_problems(
    policy: GatePolicy | None, path: str, lines: Mapping[Loc, int]
) -> list[Problem]:
    """A problem for every gate whose metric no run can have, with the nearest names."""
    problems: list[Problem] = []
    if policy is None:
        return problems
    for kind, gates in (("required", policy.required), ("advisory", policy.advisory)):
        for name, condition in gates.items():
            message = metric_problem(condition.metric)
            if message is not None:
                loc: Loc = ("policy", kind, name)
                problems.append(
                    Problem(path, message, line=_line_of(loc, lines), field=_field_of(loc))
                )
    return problems


def _override_problems(exc: ValidationError, flags: Mapping[str, Any]) -> list[Problem]:
    """Problems brought by environment variables or flags (the file was checked before)."""
    problems = []
    for error in exc.errors(include_url=False):
        loc: Loc = tuple(p for p in error["loc"] if not _is_tag(p))
        in_flags = _has(flags, loc)
        where = (
            "flags"
            if in_flags
            else "environment " + ENV_PREFIX + "__".join(str(p).upper() for p in loc)
        )
        problems.append(Problem(where, str(error["msg"]), field=_field_of(loc)))
    return problems


def _has(data: Mapping[str, Any], loc: Loc) -> bool:
    current: Any = data
    for part in loc:
        if not isinstance(current, Mapping) or part not in current:
            return False
        current = current[part]
    return True


def _relative_to(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """``data`` with the file's relative paths read from ``folder``."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    for section, key in _PATH_FIELDS:
        block = out.get(section)
        if isinstance(block, dict) and isinstance(block.get(key), str):
            block[key] = str(_resolve(block[key], folder))
    paths = out.get("paths")
    if isinstance(paths, dict) and isinstance(paths.get("sessions"), list):
        paths["sessions"] = [
            str(_resolve(p, folder)) if isinstance(p, str) else p for p in paths["sessions"]
        ]
    return out


def _resolve(value: str, folder: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else folder / path
