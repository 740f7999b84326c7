"""Request bodies of the OpenAI Evals API, as the official ``openai`` SDK sends them.

Field names follow the SDK's ``EvalCreateParams``, ``EvalUpdateParams`` and ``RunCreateParams``
exactly; a wrong field is a 400 naming its path (e.g. ``data_source.source.content[3].item``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "CompletionsDataSource",
    "DataSource",
    "EvalCreate",
    "EvalUpdate",
    "FileContent",
    "FileContentRow",
    "FileId",
    "ItemReference",
    "JsonlDataSource",
    "ResponsesDataSource",
    "RunCreate",
    "Template",
    "TemplateMessage",
    "regex_keyword",
]

Metadata = dict[str, str]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomConfig(_Wire):
    """``data_source_config`` of ``type: custom``: the item schema (and the sample's)."""

    type: Literal["custom"]
    item_schema: dict[str, Any]
    include_sample_schema: bool = False

    @field_validator("item_schema")
    @classmethod
    def _no_regex(cls, schema: dict[str, Any]) -> dict[str, Any]:
        found = regex_keyword(schema)
        if found is not None:
            raise ValueError(REGEX_REFUSED.format(found))
        return schema


REGEX_REFUSED = (
    "'{}' is not supported in item_schema: the service does not run user regular expressions "
    "(a backtracking pattern can stall it); check the format in a grader instead"
)
"""Why a schema with ``pattern``/``patternProperties`` is refused (``{}``: the keyword)."""


def regex_keyword(schema: Any) -> str | None:
    """The first regular-expression keyword in a JSON Schema (iterative walk), else None."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    return "pattern"
                if key == "patternProperties" and isinstance(value, dict):
                    return "patternProperties"
                if key in ("properties", "$defs", "definitions", "dependentSchemas"):
                    if isinstance(value, dict):
                        stack.extend(value.values())
                    continue
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return None


class LogsConfig(_Wire):
    """``type: logs`` (or the older ``stored_completions``): items come from logged calls."""

    type: Literal["logs", "stored_completions"]
    metadata: dict[str, Any] | None = None


class EvalCreate(_Wire):
    """``POST /v1/evals``."""

    data_source_config: Annotated[CustomConfig | LogsConfig, Field(discriminator="type")]
    testing_criteria: list[dict[str, Any]] = Field(min_length=1)
    name: str | None = None
    metadata: Metadata | None = None


class EvalUpdate(_Wire):
    """``POST /v1/evals/{id}``: rename, or replace the metadata."""

    name: str | None = None
    metadata: Metadata | None = None


class FileContentRow(_Wire):
    """One row of a ``file_content`` source."""

    item: dict[str, Any]
    sample: dict[str, Any] | None = None


class FileContent(_Wire):
    """Rows given inline."""

    type: Literal["file_content"]
    content: list[FileContentRow]


class FileId(_Wire):
    """Rows in an uploaded JSONL file (``purpose=evals``)."""

    type: Literal["file_id"]
    id: str


class StoredSource(BaseModel):
    """``stored_completions``/``responses`` sources: logged calls (tutorloop does not keep them)."""

    model_config = ConfigDict(extra="allow")

    type: Literal["stored_completions", "responses"]


Source = Annotated[FileContent | FileId | StoredSource, Field(discriminator="type")]


class TemplateMessage(BaseModel):
    """One message of an ``input_messages`` template; ``content`` may hold ``{{ item.x }}``."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | dict[str, Any] | list[Any]
    type: Literal["message"] | None = None


class Template(_Wire):
    """Messages rendered with each item."""

    type: Literal["template"]
    template: list[TemplateMessage] = Field(min_length=1)


class ItemReference(_Wire):
    """Messages taken from the item, e.g. ``item.input_trajectory``."""

    type: Literal["item_reference"]
    item_reference: str


InputMessages = Annotated[Template | ItemReference, Field(discriminator="type")]


class SamplingParams(BaseModel):
    """``sampling_params``; fields a local call cannot honour are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    temperature: float | None = None
    top_p: float | None = Field(default=None, ge=0, le=1)
    seed: int | None = None
    max_completion_tokens: int | None = Field(default=None, ge=1)
    response_format: dict[str, Any] | None = None
    """Chat-completions data sources: a ``json_schema`` response format."""
    text: dict[str, Any] | None = None
    """Responses data sources: ``{"format": {"type": "json_schema", ...}}``."""


class JsonlDataSource(_Wire):
    """Items with their samples already made."""

    type: Literal["jsonl"]
    source: Annotated[FileContent | FileId, Field(discriminator="type")]


class _Sampled(_Wire):
    source: Source
    input_messages: InputMessages | None = None
    model: str | None = None
    sampling_params: SamplingParams | None = None


class CompletionsDataSource(_Sampled):
    """Sample each item with chat completions."""

    type: Literal["completions"]


class ResponsesDataSource(_Sampled):
    """Sample each item with the Responses API."""

    type: Literal["responses"]


DataSource = Annotated[
    JsonlDataSource | CompletionsDataSource | ResponsesDataSource, Field(discriminator="type")
]


class RunCreate(_Wire):
    """``POST /v1/evals/{id}/runs``."""

    data_source: DataSource
    name: str | None = None
    metadata: Metadata | None = None
