"""The alignment dataset: one JSON object a line, streamed, every bad line named by line and field.

Each line holds the alignment benchmark runner's required keys (:data:`REQUIRED_KEYS`); any other
key (such as ``attack_variant``) is kept in :attr:`AlignItem.extra`. ``conversation`` is a list of
``{"role", "content"}`` messages with at least one ``user`` message. ``judge_prompt`` may use the
placeholders :data:`PLACEHOLDERS`; a prompt without them still gets the conversation and the
candidate, appended in a delimited block (see :func:`tutorloop.grade.judge.render_judge_prompt`),
so the judge never grades an answer it has not seen. An item is a *verdict* item or, when its
judge prompt asks for ``normalized_tag`` (``id, field, raw_answer, normalized_tag, confidence``),
a *preference* item (:attr:`AlignItem.kind`); a preference item may carry an ``expected_tag``.

:func:`check_dataset` reads the whole file once and gathers every problem into one
:class:`~tutorloop.errors.InputProblems`; :func:`iter_dataset` then streams the items (one line
in memory at a time) for the run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutorloop.errors import InputProblems, Problem
from tutorloop.grade.judge import ItemKind, item_kind
from tutorloop.grade.judge.align import schema_problem

__all__ = [
    "CANDIDATE",
    "CONTEXT",
    "PLACEHOLDERS",
    "PROMPT",
    "REQUIRED_KEYS",
    "AlignItem",
    "DatasetCheck",
    "bundled_align_dataset",
    "check_dataset",
    "iter_dataset",
]

CONTEXT = "<<<CONVERSATION_CONTEXT>>>"
PROMPT = "<<<PROMPT>>>"
CANDIDATE = "<<<CANDIDATE_RESPONSE>>>"
PLACEHOLDERS = (CONTEXT, PROMPT, CANDIDATE)
"""What :func:`~tutorloop.grade.judge.align.render_judge_prompt` replaces in a ``judge_prompt``."""

REQUIRED_KEYS = (
    "id", "category", "subcategory", "persona_system_prompt", "conversation",
    "expected_safe_behavior", "attack_notes", "judge_prompt",
)  # fmt: skip
"""The keys every line must have (the alignment benchmark runner's set)."""

_TEXT_KEYS = REQUIRED_KEYS[1:4] + REQUIRED_KEYS[5:]
_ROLES = ("system", "user", "assistant")
_ANY_PLACEHOLDER = re.compile(r"<<<[A-Za-z_]+>>>")


@dataclass(frozen=True, slots=True)
class AlignItem:
    """One test of the alignment dataset."""

    id: str
    category: str
    subcategory: str
    persona_system_prompt: str
    conversation: tuple[dict[str, str], ...]
    """``{"role", "content"}`` messages; the first may be the system message."""
    expected_safe_behavior: str
    attack_notes: str
    judge_prompt: str
    line: int
    """The line of the file the item was read from."""
    extra: tuple[tuple[str, Any], ...] = ()
    """Keys beyond the required ones (e.g. ``attack_variant``), in file order."""

    @property
    def kind(self) -> ItemKind:
        """``preference`` when the judge prompt asks for ``normalized_tag``, else ``verdict``."""
        return item_kind(self.judge_prompt)

    @property
    def expected_tag(self) -> str | None:
        """A preference item's ``expected_tag`` key, when the dataset gives one."""
        value = dict(self.extra).get("expected_tag")
        return " ".join(value.split()).lower() if isinstance(value, str) and value.strip() else None

    @property
    def user_prompt(self) -> str:
        """The content of the last user message (what ``<<<PROMPT>>>`` becomes)."""
        return next(m["content"] for m in reversed(self.conversation) if m["role"] == "user")


@dataclass
class DatasetCheck:
    """What :func:`check_dataset` found: the number of good items and every problem."""

    items: int
    problems: list[Problem]


def iter_dataset(path: str | Path) -> Iterator[AlignItem]:
    """Stream the items of ``path`` (call :func:`check_dataset` first to get every problem).

    Raises:
        InputProblems: a line is bad (the first one met; :func:`check_dataset` lists them all).
    """
    for entry in _entries(Path(path)):
        if isinstance(entry, list):
            raise InputProblems(entry)
        yield entry


def check_dataset(path: str | Path) -> DatasetCheck:
    """Read ``path`` once and return the item count and every problem (line and field each).

    Duplicate ids are problems too: ``id`` is part of each result's key.
    """
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    items = 0
    for entry in _entries(Path(path)):
        if isinstance(entry, list):
            problems.extend(entry)
            continue
        first = seen.setdefault(entry.id, entry.line)
        if first != entry.line:
            problems.append(
                Problem(
                    str(path),
                    f"duplicate id '{entry.id}' (first on line {first})",
                    line=entry.line,
                    field="id",
                    hint="ids must be unique: they are part of each result's key",
                )
            )
            continue
        items += 1
    return DatasetCheck(items=items, problems=problems)


def _entries(path: Path) -> Iterator[AlignItem | list[Problem]]:
    where = str(path)
    try:
        handle = path.open("r", encoding="utf-8")
    except FileNotFoundError:
        yield [Problem(where, "no such file", hint="check --dataset")]
        return
    except OSError as exc:
        yield [Problem(where, f"cannot read the file: {exc}")]
        return
    with handle:
        lineno = 0
        while True:
            try:
                line = handle.readline()
            except UnicodeDecodeError as exc:
                yield [Problem(where, f"not UTF-8 text: {exc}", line=lineno + 1)]
                return
            if not line:
                return
            lineno += 1
            if line.strip():
                yield _parse(line, where, lineno)


def _parse(line: str, where: str, lineno: int) -> AlignItem | list[Problem]:
    def problem(message: str, field: str | None = None, hint: str | None = None) -> Problem:
        return Problem(where, message, line=lineno, field=field, hint=hint)

    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return [problem(f"invalid JSON: {exc.msg} (column {exc.colno})")]
    if not isinstance(data, dict):
        return [problem(f"expected a JSON object, found {type(data).__name__}")]
    problems = [
        problem("missing required key", key, f"every line needs: {', '.join(REQUIRED_KEYS)}")
        for key in REQUIRED_KEYS
        if key not in data
    ]
    ident = data.get("id")
    if "id" in data and (not isinstance(ident, str) or not ident.strip()):
        problems.append(problem("must be a non-empty string", "id"))
    elif isinstance(ident, str) and "|" in ident:
        problems.append(problem("must not contain '|' (it separates the parts of a key)", "id"))
    for key in _TEXT_KEYS:
        if key in data and not isinstance(data[key], str):
            problems.append(problem(f"must be a string, found {type(data[key]).__name__}", key))
    if "expected_tag" in data and not isinstance(data["expected_tag"], str | None):
        problems.append(
            problem("must be a string (the preference's canonical tag)", "expected_tag")
        )
    if "conversation" in data:
        problems.extend(_conversation_problems(data["conversation"], problem))
    prompt = data.get("judge_prompt")
    if isinstance(prompt, str):
        problems.extend(_judge_prompt_problems(prompt, problem))
    if problems:
        return problems
    return AlignItem(
        id=data["id"],
        category=data["category"],
        subcategory=data["subcategory"],
        persona_system_prompt=data["persona_system_prompt"],
        conversation=tuple(
            {"role": m["role"], "content": m["content"]} for m in data["conversation"]
        ),
        expected_safe_behavior=data["expected_safe_behavior"],
        attack_notes=data["attack_notes"],
        judge_prompt=data["judge_prompt"],
        line=lineno,
        extra=tuple((k, v) for k, v in data.items() if k not in REQUIRED_KEYS),
    )


def _conversation_problems(value: Any, problem: Any) -> list[Problem]:
    if not isinstance(value, list):
        return [problem("conversation must be a list of message dicts", "conversation")]
    found: list[Problem] = []
    for index, message in enumerate(value):
        field = f"conversation[{index}]"
        if not isinstance(message, dict):
            found.append(problem("must be a {role, content} object", field))
            continue
        role, content = message.get("role"), message.get("content")
        if role not in _ROLES:
            found.append(
                problem(f"role {role!r} is not one of {', '.join(_ROLES)}", f"{field}.role")
            )
        if not isinstance(content, str):
            found.append(problem("content must be a string", f"{field}.content"))
    if not found and not any(m.get("role") == "user" for m in value):
        found.append(problem("has no user message to send to the model", "conversation"))
    return found


def _judge_prompt_problems(prompt: str, problem: Any) -> list[Problem]:
    found: list[Problem] = []
    unknown = sorted(set(_ANY_PLACEHOLDER.findall(prompt)) - set(PLACEHOLDERS))
    if unknown:
        found.append(
            problem(
                f"unknown placeholder(s) {', '.join(unknown)}",
                "judge_prompt",
                f"the placeholders are {', '.join(PLACEHOLDERS)}",
            )
        )
    schema_issue = schema_problem(prompt)
    if schema_issue:
        found.append(problem(schema_issue, "judge_prompt"))
    return found


def bundled_align_dataset() -> Path:
    """The bundled example dataset (tutorloop's own items, in the runner's schema)."""
    from importlib.resources import files

    return Path(str(files("tutorloop") / "data" / "align" / "alignment_dataset.jsonl"))
