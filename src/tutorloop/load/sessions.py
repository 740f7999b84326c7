"""Read sessions and replay artifacts from JSON files, folders and JSONL, streaming.

Every bad input becomes a :class:`~tutorloop.errors.Problem` naming the file, the line (JSONL)
or turn, and the field; loading goes on with the next record so one pass finds everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tutorloop.errors import Problem
from tutorloop.load.fingerprint import input_files
from tutorloop.load.importers import (
    DEFAULT_DOMAIN,
    NATIVE,
    check_format,
    detect_log_format,
    is_turns_csv,
    read_log,
)
from tutorloop.load.items import Item, Loaded, Skipped, items_of
from tutorloop.load.lines import JsonProblem, iter_lines, parse_json, read_text
from tutorloop.records import NewerSchemaVersion, ReplayArtifact, Session


def iter_loaded(
    paths: Iterable[str | Path], *, fmt: str | None = None, domain: str = DEFAULT_DOMAIN
) -> Iterator[Loaded]:
    """Yield an :class:`Item`, :class:`Skipped` or :class:`Problem` for every record in ``paths``.

    A path may be a ``.json`` file (one session or artifact), a ``.jsonl`` file (one per line,
    read line by line), a log of another format (OpenAI chat or Responses, Langfuse, LangSmith,
    OpenTelemetry, CSV; see :mod:`tutorloop.load.importers`) or a folder (its ``.json``,
    ``.jsonl`` and ``.csv`` files, recursively, sorted). Each file's format is detected unless
    ``fmt`` names it; ``domain`` is the domain of imported sessions whose log names none.
    """
    check_format(fmt)
    for file in iter_files(paths):
        if isinstance(file, Problem):
            yield file
        else:
            yield from load_file(file[0], in_folder=file[1], fmt=fmt, domain=domain)


def iter_files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, bool] | Problem]:
    """Every input file under ``paths`` with whether it was found in a folder, or a problem."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = list(input_files([path]))
            if not files:
                yield Problem(str(path), "folder holds no .json, .jsonl or .csv files")
            for file in files:
                yield file, True
        elif path.exists():
            yield path, False
        else:
            yield Problem(str(path), "no such file or folder", hint="check the path")


def iter_items(paths: Iterable[str | Path]) -> Iterator[Item]:
    """Only the gradable items of :func:`iter_loaded` (problems and skips are dropped)."""
    for loaded in iter_loaded(paths):
        if isinstance(loaded, Item):
            yield loaded


def load_file(
    path: Path, *, in_folder: bool, fmt: str | None = None, domain: str = DEFAULT_DOMAIN
) -> Iterator[Loaded]:
    """Every record of one file, read as ``fmt`` (detected when None)."""
    name = fmt or detect_log_format(path)
    if name == "csv" and fmt is None and in_folder and not is_turns_csv(path):
        yield Skipped(str(path), "a CSV file without session, role and content columns")
        return
    if name != NATIVE:
        for entry in read_log(path, name, domain):
            if isinstance(entry, Problem):
                yield entry
            else:
                yield from items_of(entry.session, entry.origin)
        return
    if path.suffix in (".jsonl", ".ndjson"):
        yield from _load_jsonl(path)
        return
    text = read_text(path)
    if isinstance(text, Problem):
        yield text
        return
    yield from parse_record(text, str(path), line=None, in_folder=in_folder)


def _load_jsonl(path: Path) -> Iterator[Loaded]:
    for line in iter_lines(path):
        if isinstance(line, Problem):
            yield line
        else:
            yield from parse_record(line.text, str(path), line=line.number)


def parse_record(
    text: str, path: str, *, line: int | None, in_folder: bool = False
) -> Iterator[Loaded]:
    """The items of one record's JSON text: a ``.json`` file (``line`` None) or a JSONL line.

    Every engine parses through here, so a session reads the same wherever it is graded; a
    blank JSONL line yields nothing. Any text at all yields items or problems, never raises.
    """
    if line is not None and not text.strip():
        return
    data = parse_json(text)
    if isinstance(data, JsonProblem):
        yield data.at(path, line)
        return
    origin = path if line is None else f"{path}:{line}"
    try:
        yield from _records(data, path, origin, line=line, in_folder=in_folder)
    except (RecursionError, ValueError) as exc:
        yield Problem(path, f"cannot read the record: {exc}", line=line)


def _records(
    data: Any, path: str, origin: str, *, line: int | None, in_folder: bool
) -> Iterator[Loaded]:
    if not isinstance(data, dict):
        kind = type(data).__name__
        yield Problem(path, f"expected a JSON object (a session), found {kind}", line=line)
        return
    model: type[Session] | type[ReplayArtifact] = Session
    if "regenerated_trajectory" in data:
        model = ReplayArtifact
    elif "trajectory" not in data and (skip := _not_a_session(data)):
        if in_folder:
            yield Skipped(path, skip)
        else:
            yield Problem(path, f"not a session: {skip}", line=line)
        return
    try:
        record = model.model_validate(data)
    except ValidationError as exc:
        yield from _problems(exc, path, line, model)
        return
    yield from items_of(record, origin)


def _not_a_session(data: dict[str, Any]) -> str | None:
    if isinstance(data.get("sessions"), list):
        return "an index of sessions (it lists session files; it is not one)"
    if "pedagogical_fidelity_score" in data and "checks" in data:
        return "an EvalResult (a grader's output), not a session"
    return None


def _problems(
    exc: ValidationError, path: str, line: int | None, model: type[Session] | type[ReplayArtifact]
) -> Iterator[Problem]:
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        turn: int | None = None
        if len(loc) >= 2 and loc[0].endswith("trajectory") and loc[1].isdigit():
            turn = int(loc[1])
            field = ".".join([loc[0], *loc[2:]]) if len(loc) > 2 else loc[0]
        else:
            field = ".".join(loc)
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, NewerSchemaVersion):
            yield Problem(path, str(cause), line=line, field="schema_version")
            continue
        yield Problem(
            path,
            _message(error),
            line=line,
            turn=turn,
            field=field or None,
            hint=_hint(error, model),
        )


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "literal_error":
        return f"{error['msg']}, found {error['input']!r}"
    if kind == "too_short" and isinstance(error.get("input"), list):
        return "must not be empty"
    return str(error["msg"]).removeprefix("Value error, ")


def _hint(error: Any, model: type[Session] | type[ReplayArtifact]) -> str | None:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "put custom fields under 'metadata'" if model is Session else None
    if kind == "literal_error" and error["loc"][-1] == "role":
        return "a turn's role is 'user' (the learner) or 'assistant' (the tutor)"
    return None
