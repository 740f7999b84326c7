"""A run's data source: its rows, checked against the eval's item schema, and how to sample them.

Rows come inline (``file_content``) or from an uploaded JSONL file (``file_id``), one
``{"item": {...}, "sample": {...}?}`` a line, as the hosted API takes them. ``completions`` and
``responses`` data sources sample each item through tutorloop's generate stage: the
``input_messages`` template rendered with the item (or the messages an ``item_reference``
points at), sent to ``model`` on the configured upstream.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from typing import Any

from tutorloop.generate import GenerateRequest, Message, full_model_name
from tutorloop.grade import GradeEnv
from tutorloop.serve.errors import ApiError
from tutorloop.serve.openai_evals.wire import (
    REGEX_REFUSED,
    FileContent,
    FileId,
    ItemReference,
    SamplingParams,
    Template,
    regex_keyword,
)

__all__ = ["Row", "build_request", "read_rows", "row_index", "row_key", "upstream_model"]


@dataclass(frozen=True)
class Row:
    """One data-source item: its index, the item, and its sample when the row has one."""

    index: int
    item: dict[str, Any]
    sample: dict[str, Any] | None

    @property
    def key(self) -> str:
        """The item's key in tutorloop's run of the same id: ``item-<index>``."""
        return row_key(self.index)


def row_key(index: int) -> str:
    """The key of data-source item ``index`` (the run engine's work key)."""
    return f"item-{index}"


def row_index(key: str) -> int:
    """The data-source index a :func:`row_key` names."""
    return int(key.removeprefix("item-"))


def read_rows(source: Any, content_of: Any, item_schema: dict[str, Any] | None) -> list[Row]:
    """The rows of ``source`` (``file_content`` or ``file_id``), each checked against the schema.

    Args:
        source: The data source's ``source``.
        content_of: ``file_id -> bytes | None``.
        item_schema: The eval's JSON Schema of ``item`` (None: anything goes).

    Raises:
        ApiError: 400 for a missing file, a line that is not a row, or an item the schema
            rejects; the message names the line or row and the field.
    """
    if isinstance(source, FileContent):
        rows = [Row(i, r.item, r.sample) for i, r in enumerate(source.content)]
        where = "data_source.source.content[{}]"
    elif isinstance(source, FileId):
        data = content_of(source.id)
        if data is None:
            raise ApiError(
                404, f"no file with id '{source.id}'", param="data_source.source.id",
                code="not_found",
            )  # fmt: skip
        rows = _file_rows(data, source.id)
        where = f"file {source.id} line {{}}"
    else:
        kind = getattr(source, "type", "?")
        raise ApiError(
            400,
            f"source type '{kind}' reads logged calls, which tutorloop does not keep; "
            "send the items as file_content or upload them as a file (file_id)",
            param="data_source.source.type",
        )
    if item_schema:
        found = regex_keyword(item_schema)
        if found is not None:
            raise ApiError(400, REGEX_REFUSED.format(found), param="data_source_config.item_schema")
        jsonschema: Any = importlib.import_module("jsonschema")  # no type stubs
        validator = jsonschema.Draft202012Validator(item_schema)
        for row in rows:
            error = next(iter(validator.iter_errors(row.item)), None)
            if error is not None:
                path = ".".join(str(p) for p in error.absolute_path)
                field = "item" + (f".{path}" if path else "")
                at = where.format(row.index if isinstance(source, FileContent) else row.index + 1)
                raise ApiError(
                    400,
                    f"{at}: {field}: {error.message} (the eval's item_schema)",
                    param=f"{at}.{field}" if isinstance(source, FileContent) else field,
                )
    return rows


def _file_rows(data: bytes, file_id: str) -> list[Row]:
    rows: list[Row] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, f"file {file_id} line {number}: not a JSON line ({exc})") from exc
        if not isinstance(record, dict) or not isinstance(record.get("item"), dict):
            raise ApiError(
                400, f'file {file_id} line {number}: expected {{"item": {{...}}}}', param="item"
            )
        sample = record.get("sample")
        rows.append(Row(len(rows), record["item"], sample if isinstance(sample, dict) else None))
    return rows


def upstream_model(name: str) -> str:
    """The ``provider/model`` of a data source's ``model``: a bare name means ``openai/<name>``."""
    return full_model_name(name)


def build_request(
    model: str,
    messages_spec: Template | ItemReference,
    params: SamplingParams | None,
    item: dict[str, Any],
    env: GradeEnv,
) -> GenerateRequest:
    """The generate request that samples ``item``.

    Raises:
        ValueError: the template cannot be rendered or the reference is not messages.
    """
    if isinstance(messages_spec, Template):
        messages = [
            Message(role=m.role, content=env.renderer.render(_text(m.content), item, {}))
            for m in messages_spec.template
        ]
    else:
        messages = _referenced(messages_spec.item_reference, item)
    params = params or SamplingParams()
    return GenerateRequest(
        model=upstream_model(model),
        messages=tuple(messages),
        temperature=params.temperature,
        top_p=params.top_p,
        max_output_tokens=params.max_completion_tokens,
        seed=params.seed,
        response_format=_response_format(params),
    )


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", ""))
    if isinstance(content, list):
        return "\n".join(_text(part) for part in content)
    return str(content)


def _referenced(reference: str, item: dict[str, Any]) -> list[Message]:
    path = reference.strip().removeprefix("{{").removesuffix("}}").strip().removeprefix("item.")
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise ValueError(f"item_reference '{reference}': the item has no '{part}'")
        value = value[part]
    if isinstance(value, str):
        return [Message(role="user", content=value)]
    if not isinstance(value, list):
        raise ValueError(f"item_reference '{reference}' must point at a list of messages")
    messages = []
    for index, turn in enumerate(value):
        role = turn.get("role") if isinstance(turn, dict) else None
        if role not in ("system", "developer", "user", "assistant"):
            raise ValueError(f"item_reference '{reference}'[{index}]: not a message with a role")
        messages.append(Message(role=role, content=_text(turn.get("content", ""))))
    return messages


def _response_format(params: SamplingParams) -> dict[str, Any] | None:
    if params.response_format and params.response_format.get("type") == "json_schema":
        return params.response_format
    fmt = (params.text or {}).get("format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = {k: fmt[k] for k in ("name", "schema", "strict") if k in fmt}
        return {"type": "json_schema", "json_schema": schema}
    return None
