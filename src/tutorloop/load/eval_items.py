"""Eval items: the JSONL dataset that ``testing_criteria`` graders grade, streamed line by line.

One JSON object a line::

    {"item": {...}, "sample": {"output_text": "...", "output_json": ...}}

``item`` is what ``{{ item.x }}`` sees; ``sample`` (optional) is what the system under test
produced, as ``{{ sample.output_text }}`` sees it. Without ``sample`` a line is exactly a line
of an OpenAI Evals ``jsonl`` data source (``{"item": {...}}``), so files made for the hosted
API load unchanged. Every bad line becomes a :class:`~tutorloop.errors.Problem` naming the
file, the line and the field; reading goes on with the next line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tutorloop.errors import ConfigError, Problem
from tutorloop.load.lines import JsonProblem, iter_lines, parse_json

__all__ = [
    "EvalItem",
    "check_output_item",
    "eval_item_key",
    "iter_eval_items",
    "looks_like_eval_items",
    "output_item_rows",
    "read_output_items",
]

_FIELDS = ("item", "sample")
_SNIFF_LINES = 100
_SHAPE = 'a line is {"item": {...}, "sample": {"output_text": "..."}} (sample optional)'


@dataclass(frozen=True, slots=True)
class EvalItem:
    """One line of an eval-items file: the item, and the sample's text when it has one."""

    key: str
    """``item["id"]`` when it is a string or an integer, else ``line-<n>``."""
    item: dict[str, Any]
    """What ``{{ item.x }}`` sees."""
    sample_text: str | None
    """``sample.output_text`` (or ``sample.output_json`` as JSON text); None without a sample."""
    origin: str
    """``path:line`` of the record."""


def eval_item_key(item: dict[str, Any], line: int) -> str:
    """The key of an item read from line ``line``: its ``id`` when usable, else ``line-<n>``."""
    value = item.get("id")
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"line-{line}"


def iter_eval_items(path: str | Path) -> Iterator[EvalItem | Problem]:
    """Yield an :class:`EvalItem` or a :class:`Problem` for every non-empty line of ``path``.

    Args:
        path: A JSONL file of ``{"item": ..., "sample": ...}`` objects.

    Yields:
        One item per good line; one or more problems per bad line (file, line and field).
    """
    file = Path(path)
    where = str(file)
    if not file.exists():
        yield Problem(where, "no such file", hint="check the path")
        return
    for line in iter_lines(file):
        if isinstance(line, Problem):
            yield line
        elif line.text.strip():
            yield from _parse_line(line.text, where, line.number)


def looks_like_eval_items(path: str | Path) -> bool:
    """Whether ``path``'s first readable JSON object is an eval item (``item``, no ``trajectory``).

    Lines that cannot be read or are not JSON objects are passed over (up to 100 of them), so
    one bad first line does not turn a dataset into sessions. Never raises: an unreadable file
    or a folder is simply not eval items.
    """
    if not Path(path).is_file():
        return False
    for seen, line in enumerate(iter_lines(path)):
        if seen >= _SNIFF_LINES:
            return False
        if isinstance(line, Problem) or not line.text.strip():
            continue
        data = parse_json(line.text)
        if isinstance(data, dict):
            return "item" in data and "trajectory" not in data
    return False


def _parse_line(line: str, path: str, lineno: int) -> Iterator[EvalItem | Problem]:
    data = parse_json(line)
    if isinstance(data, JsonProblem):
        yield data.at(path, lineno)
        return
    if not isinstance(data, dict):
        kind = type(data).__name__
        yield Problem(path, f"expected a JSON object, found {kind}", line=lineno, hint=_SHAPE)
        return
    problems = [
        Problem(path, "unknown field", line=lineno, field=name, hint=_SHAPE)
        for name in data
        if name not in _FIELDS
    ]
    item = data.get("item")
    if item is None:
        problems.append(
            Problem(path, "missing required field", line=lineno, field="item", hint=_SHAPE)
        )
    elif not isinstance(item, dict):
        problems.append(_not_object(path, lineno, "item", item))
    sample_text, sample_problems = _sample_text(data.get("sample"), path, lineno)
    problems.extend(sample_problems)
    if problems or not isinstance(item, dict):
        yield from problems
        return
    yield EvalItem(
        key=eval_item_key(item, lineno),
        item=item,
        sample_text=sample_text,
        origin=f"{path}:{lineno}",
    )


def _sample_text(sample: Any, path: str, lineno: int) -> tuple[str | None, list[Problem]]:
    """The sample's text; an explicit ``"sample": null`` is the same as no sample."""
    if sample is None:
        return None, []
    if not isinstance(sample, dict):
        return None, [_not_object(path, lineno, "sample", sample)]
    text = sample.get("output_text")
    if text is None:
        if sample.get("output_json") is not None:
            return json.dumps(sample["output_json"], ensure_ascii=False), []
        return None, []
    if not isinstance(text, str):
        kind = type(text).__name__
        message = f"must be a string, found {kind}"
        return None, [Problem(path, message, line=lineno, field="sample.output_text")]
    return text, []


def _not_object(path: str, lineno: int, field: str, value: Any) -> Problem:
    kind = type(value).__name__
    return Problem(path, f"must be a JSON object, found {kind}", line=lineno, field=field)


# --------------------------------------------------------------------------- hosted output items


def read_output_items(path: str | Path) -> Iterator[dict[str, Any]]:
    """Output items saved from the API: JSONL, a JSON list, or a list page (``{"data": [...]}``).

    Raises:
        ConfigError: the file is missing or not JSON, or an entry is not an output item (an
            object with a ``datasource_item`` object); the message names the file and line.
    """
    file = Path(path)
    try:
        with file.open("r", encoding="utf-8") as handle:
            yield from _read_items(handle, str(file))
    except FileNotFoundError as exc:
        raise ConfigError("the output items file does not exist", path=str(file)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the output items: {exc}", path=str(file)) from exc


def _read_items(handle: IO[str], where: str) -> Iterator[dict[str, Any]]:
    """JSONL is streamed; a file whose first line is not a whole JSON value is read at once."""
    first = True
    for lineno, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        if first and not _is_json_line(line):  # a JSON list, or a pretty-printed object
            whole = _json_value(line + handle.read(), where, lineno)
            for index, entry in enumerate(_entries(whole)):
                yield check_output_item(entry, f"{where}: entry {index}")
            return
        first = False
        for entry in _entries(_json_value(line, where, lineno)):
            yield check_output_item(entry, f"{where}:{lineno}")


def _is_json_line(line: str) -> bool:
    if line.lstrip().startswith("["):
        return False
    return not isinstance(parse_json(line), JsonProblem)


def _entries(data: Any) -> list[Any]:
    if isinstance(data, dict) and data.get("object") == "list" and "data" in data:
        data = data["data"]
    return data if isinstance(data, list) else [data]


def check_output_item(entry: Any, where: str) -> dict[str, Any]:
    """``entry`` as a dict when it is an output item, else a :class:`ConfigError` at ``where``."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"expected an output item, found {type(entry).__name__}", path=where)
    if not isinstance(entry.get("datasource_item"), dict):
        message = "an output item needs a 'datasource_item' object"
        raise ConfigError(message, path=where, field="datasource_item")
    if not isinstance(entry.get("results", []), list):
        raise ConfigError("'results' must be a list", path=where, field="results")
    return dict(entry)


def output_item_rows(entry: dict[str, Any], line: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """An output item → its eval-items line, and its hosted results keyed as tutorloop keys it."""
    item: dict[str, Any] = entry["datasource_item"]
    row: dict[str, Any] = {"item": item}
    sample = entry.get("sample")
    output = sample.get("output") if isinstance(sample, dict) else None
    texts = [
        m["content"]
        for m in output or []
        if isinstance(m, dict) and isinstance(m.get("content"), str)
    ]
    if texts:
        row["sample"] = {"output_text": "\n".join(texts)}
    keep = ("datasource_item_id", "id", "run_id", "status")
    hosted = {"key": eval_item_key(item, line), "dataset_line": line}
    hosted |= {("output_item_id" if k == "id" else k): entry.get(k) for k in keep}
    return row, hosted | {"results": entry.get("results", [])}


def _json_value(text: str, where: str, first_line: int) -> Any:
    value = parse_json(text)
    if isinstance(value, JsonProblem):
        line = (value.line or 1) + first_line - 1
        message = f"line {line}: {value.message}"
        if value.column is not None:
            reason = value.message.removeprefix("invalid JSON: ").rsplit(" (column", 1)[0]
            message = f"invalid JSON at line {line}, column {value.column}: {reason}"
        raise ConfigError(message, path=where)
    return value
