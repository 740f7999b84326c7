"""The JSON Schema of ``tutorloop.yaml``, for ``tutorloop schema config`` and editors.

Editors that use the YAML language server validate and complete the file when its first line is
``# yaml-language-server: $schema=tutorloop.schema.json`` (a file written by
``tutorloop schema config > tutorloop.schema.json``).
"""

from __future__ import annotations

from typing import Any

from tutorloop.project.config import ProjectConfig

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the project config file."""
    schema = ProjectConfig.model_json_schema()
    schema["$schema"] = SCHEMA_DIALECT
    return schema
