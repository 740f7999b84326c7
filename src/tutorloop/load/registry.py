"""A registry folder in the openai/evals layout: evals by name, samples, model-graded specs.

The layout (the same as ``evals/registry`` in openai/evals)::

    evals/*.yaml          <alias>: {id: <alias>.<split>.<version>, metrics: [...], description}
                          <alias>.<split>.<version>: {class: module:Class, args: {...}}
    data/<dir>/*.jsonl    samples: one JSON object a line, {"input": ..., "ideal": ...}
    modelgraded/*.yaml    model-graded specs (prompt, choice_strings, input_outputs, ...)

A name resolves as oaieval resolves it: an alias follows its ``id`` to the entry that names the
``class``. ``samples_jsonl`` is read relative to ``data/`` (an absolute path is kept). Every
problem of the YAML files is gathered at :meth:`EvalRegistry.open` and raised at once, each
naming its file, line and field.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tutorloop.errors import ConfigError, InputProblems, Problem
from tutorloop.load.lines import Line, iter_lines, parse_json
from tutorloop.records import ModelGradedSpec, RegistryEval

__all__ = ["EvalRegistry", "RegistrySample"]

_MAX_HOPS = 16


@dataclass(frozen=True)
class RegistrySample:
    """One sample of a registry eval, keyed as oaieval keys it (``<base>.<split>.<index>``)."""

    key: str
    index: int
    """0-based position among the file's samples (blank lines skipped)."""
    data: dict[str, Any]
    """The sample as written: ``input``, ``ideal`` and any other fields."""
    origin: str
    """``file:line``."""


@dataclass(frozen=True)
class _Entry:
    name: str
    body: dict[str, Any]
    path: Path
    line: int
    fields: dict[str, int] = field(default_factory=dict)
    """The line of each of the entry's own fields."""


_Lines = dict[str, tuple[int, dict[str, int]]]


def _read_yaml(path: Path, problems: list[Problem]) -> tuple[Any, _Lines]:
    """The file's data and, per top-level key, its line and its fields' lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), f"cannot read the file: {exc}"))
        return None, {}
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(
            Problem(str(path), f"invalid YAML: {reason}", line=line, hint="fix the YAML syntax")
        )
        return None, {}
    finally:
        loader.dispose()
    lines: _Lines = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            inner: dict[str, int] = {}
            if isinstance(value, yaml.MappingNode):
                for k, v in value.value:
                    inner[str(k.value)] = k.start_mark.line + 1
                    if isinstance(v, yaml.MappingNode):  # args.samples_jsonl and the like
                        for kk, _ in v.value:
                            inner[f"{k.value}.{kk.value}"] = kk.start_mark.line + 1
            lines[str(key.value)] = (key.start_mark.line + 1, inner)
    return data, lines


class EvalRegistry:
    """The evals, samples and model-graded specs of one registry folder.

    Use :meth:`open`; it reads every ``evals/**/*.yaml`` (and ``modelgraded/*.yaml``) once.
    """

    def __init__(self, root: Path, entries: dict[str, _Entry], specs: dict[str, _Entry]) -> None:
        self.root = root
        self._entries = entries
        self._specs = specs

    @classmethod
    def open(cls, root: str | Path) -> EvalRegistry:
        """Read the registry at ``root``.

        Raises:
            ConfigError: ``root`` is not a folder with an ``evals/`` folder.
            InputProblems: every problem of its YAML files (bad YAML, an entry that is not a
                mapping, a name defined twice, an entry with neither ``id`` nor ``class``).
        """
        folder = Path(root).expanduser()
        if not (folder / "evals").is_dir():
            raise ConfigError(
                "not a registry folder: it needs an evals/ folder of YAML files (the openai/evals "
                "layout: evals/*.yaml, data/<dir>/samples.jsonl, modelgraded/*.yaml)",
                path=str(folder),
                field="--registry",
            )
        problems: list[Problem] = []
        entries = _read_entries(sorted((folder / "evals").rglob("*.y*ml")), problems)
        specs = _read_specs(sorted((folder / "modelgraded").glob("*.y*ml")), problems)
        if problems:
            raise InputProblems(problems)
        return cls(folder, entries, specs)

    def names(self) -> list[str]:
        """The evals to run by name: every alias (an entry with an ``id``), sorted.

        An entry that names a class and no alias points at is listed under its own name.
        """
        aliases = {name for name, e in self._entries.items() if "id" in e.body}
        targets = {str(e.body["id"]) for e in self._entries.values() if "id" in e.body}
        lone = {n for n, e in self._entries.items() if "class" in e.body and n not in targets}
        return sorted(aliases | lone)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._entries

    def describe(self, name: str) -> str | None:
        """The ``description`` of the entry called ``name``, if it has one."""
        entry = self._entries.get(name)
        value = entry.body.get("description") if entry else None
        return str(value) if value is not None else None

    def resolve(self, name: str) -> RegistryEval:
        """The eval ``name`` (an alias or a full id), following ``id`` to the class entry.

        Raises:
            ConfigError: no such eval (with the nearest names), an ``id`` that points nowhere
                or in a circle, a class entry whose ``class`` or ``args`` is malformed.
        """
        entry = self._entries.get(name)
        if entry is None:
            near = difflib.get_close_matches(name, self.names(), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            shown = ", ".join(self.names()[:20])
            raise ConfigError(
                f"no eval '{name}' in the registry{hint} (it has: {shown})",
                path=str(self.root),
                field="EVAL",
            )
        alias = entry
        seen = [name]
        while "class" not in entry.body:
            target = entry.body.get("id")
            where = f"{entry.path}:{entry.fields.get('id', entry.line)}"
            if not isinstance(target, str) or target not in self._entries:
                raise ConfigError(
                    f"'{entry.name}' has id {target!r}, which names no entry in the registry; "
                    "define it (with class and args) or fix the id",
                    path=where,
                    field="id",
                )
            if target in seen or len(seen) > _MAX_HOPS:
                raise ConfigError(
                    f"the ids of {' -> '.join([*seen, target])} go round in a circle",
                    path=where,
                    field="id",
                )
            seen.append(target)
            entry = self._entries[target]
        return self._build(name, alias, entry)

    def _build(self, name: str, alias: _Entry, entry: _Entry) -> RegistryEval:
        where = f"{entry.path}:{entry.line}"
        cls = entry.body.get("class")
        if not isinstance(cls, str) or not cls.strip():
            raise ConfigError(
                "the class must be a string such as evals.elsuite.basic.match:Match",
                path=f"{entry.path}:{entry.fields.get('class', entry.line)}",
                field="class",
            )
        args = entry.body.get("args") or {}
        if not isinstance(args, dict):
            raise ConfigError(
                "args must be a mapping (samples_jsonl: ...)",
                path=f"{entry.path}:{entry.fields.get('args', entry.line)}",
                field="args",
            )
        metrics = alias.body.get("metrics") or []
        base, _, rest = entry.name.partition(".")
        split = rest.split(".", 1)[0] if rest else ""
        description = alias.body.get("description") or entry.body.get("description")
        return RegistryEval(
            name=name,
            eval_id=entry.name,
            base_eval=base,
            split=split,
            class_path=cls.strip(),
            args=args,
            metrics=[str(m) for m in metrics] if isinstance(metrics, list) else [],
            description=str(description) if description is not None else None,
            path=str(entry.path),
            line=int(where.rsplit(":", 1)[1]),
        )

    def samples_path(self, spec: RegistryEval) -> Path:
        """The samples file of ``spec`` (``args.samples_jsonl``, relative to ``data/``).

        Raises:
            ConfigError: the entry has no ``samples_jsonl``, or the file does not exist.
        """
        entry = self._entries[spec.eval_id]
        line = entry.fields.get("args.samples_jsonl", entry.fields.get("args", entry.line))
        where = f"{entry.path}:{line}"
        value = spec.args.get("samples_jsonl")
        if not isinstance(value, str) or not value:
            raise ConfigError(
                "the eval needs args.samples_jsonl: a JSONL file under data/",
                path=where,
                field="args.samples_jsonl",
            )
        path = Path(value)
        if not path.is_absolute():
            path = self.root / "data" / path
        if not path.is_file():
            raise ConfigError(
                f"the samples file {path} does not exist; put it under {self.root / 'data'} or "
                "fix args.samples_jsonl",
                path=where,
                field="args.samples_jsonl",
            )
        return path

    def iter_samples(self, spec: RegistryEval) -> Iterator[RegistrySample | Problem]:
        """Every sample of ``spec`` in file order; a :class:`Problem` for a line that is not one."""
        path = self.samples_path(spec)
        index = 0
        for entry in iter_lines(path):
            if isinstance(entry, Problem):
                yield entry
                continue
            if not entry.text.strip():
                continue
            found = _sample(spec, path, entry, index)
            if isinstance(found, RegistrySample):
                index += 1
            yield found

    def modelgraded_spec(self, name: str, *, where: str | None = None) -> ModelGradedSpec:
        """The model-graded spec ``name`` (``modelgraded/<name>.yaml``).

        Raises:
            ConfigError: no such spec, or it is not a valid spec (names the field).
        """
        entry = self._specs.get(name)
        if entry is None:
            known = ", ".join(sorted(self._specs)) or "none"
            raise ConfigError(
                f"no model-graded spec '{name}' in {self.root / 'modelgraded'} (it has: {known})",
                path=where,
                field="args.modelgraded_spec",
            )
        try:
            return ModelGradedSpec.model_validate(entry.body)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            name_of = ".".join(str(p) for p in first["loc"]) or None
            line = (
                entry.fields.get(str(first["loc"][0]), entry.line) if first["loc"] else entry.line
            )
            hint = ""
            if first["type"] == "extra_forbidden":
                hint = f" (valid fields: {', '.join(sorted(ModelGradedSpec.model_fields))})"
            raise ConfigError(
                f"{first['msg']}{hint}", path=f"{entry.path}:{line}", field=name_of
            ) from exc


def _read_entries(files: list[Path], problems: list[Problem]) -> dict[str, _Entry]:
    entries: dict[str, _Entry] = {}
    for path in files:
        data, lines = _read_yaml(path, problems)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(Problem(str(path), "an evals file must be a mapping of eval names"))
            continue
        for name, body in data.items():
            line, fields = lines.get(str(name), (1, {}))
            key = str(name)
            if not isinstance(body, dict):
                problems.append(
                    Problem(str(path), "an eval entry must be a mapping (id: ... or class: ...)",
                            line=line, field=key)
                )  # fmt: skip
                continue
            if "id" not in body and "class" not in body:
                problems.append(
                    Problem(str(path), "the entry has neither id (an alias) nor class (an eval)",
                            line=line, field=f"{key}.class")
                )  # fmt: skip
                continue
            first = entries.get(key)
            if first is not None:
                problems.append(
                    Problem(str(path), f"'{key}' is defined twice (first at {first.path}:"
                            f"{first.line})", line=line, field=key)
                )  # fmt: skip
                continue
            entries[key] = _Entry(key, body, path, line, fields)
    return entries


def _read_specs(files: list[Path], problems: list[Problem]) -> dict[str, _Entry]:
    specs: dict[str, _Entry] = {}
    for path in files:
        data, lines = _read_yaml(path, problems)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(Problem(str(path), "a model-graded spec file must be a mapping"))
            continue
        if "prompt" in data:  # one spec per file, named by the file
            fields = {k: v[0] for k, v in lines.items()}
            specs[path.stem] = _Entry(path.stem, data, path, 1, fields)
            continue
        for name, body in data.items():
            line, fields = lines.get(str(name), (1, {}))
            if not isinstance(body, dict):
                problems.append(
                    Problem(str(path), "a model-graded spec must be a mapping (prompt: ...)",
                            line=line, field=str(name))
                )  # fmt: skip
                continue
            specs[str(name)] = _Entry(str(name), body, path, line, fields)
    return specs


def _sample(spec: RegistryEval, path: Path, line: Line, index: int) -> RegistrySample | Problem:
    where = str(path)
    parsed = parse_json(line.text)
    if not isinstance(parsed, dict):
        reason = getattr(parsed, "message", None) or "a sample must be a JSON object"
        return Problem(where, f"not a sample: {reason}", line=line.number,
                       hint='each line is {"input": ..., "ideal": ...}')  # fmt: skip
    prompt = parsed.get("input")
    if isinstance(prompt, list):
        for turn, message in enumerate(prompt):
            if not (
                isinstance(message, dict)
                and isinstance(message.get("role"), str)
                and isinstance(message.get("content"), str)
            ):
                return Problem(where, "each message needs a string role and content",
                               line=line.number, turn=turn, field="input")  # fmt: skip
    elif not isinstance(prompt, str):
        return Problem(where, "input must be a string or a list of chat messages",
                       line=line.number, field="input")  # fmt: skip
    ideal = parsed.get("ideal")
    if ideal is not None and not (
        isinstance(ideal, str)
        or (isinstance(ideal, list) and all(isinstance(x, str) for x in ideal))
    ):
        return Problem(where, "ideal must be a string or a list of strings",
                       line=line.number, field="ideal")  # fmt: skip
    key = f"{spec.base_eval}.{spec.split}.{index}" if spec.split else f"{spec.base_eval}.{index}"
    return RegistrySample(key=key, index=index, data=parsed, origin=f"{where}:{line.number}")
