"""JSON Schemas of the records, by name, for ``tutorloop schema NAME``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tutorloop.records.artifact import ReplayArtifact
from tutorloop.records.grade import Grade
from tutorloop.records.labels import HumanLabel, LabelPrediction
from tutorloop.records.learned import LearnedManifest
from tutorloop.records.manifest import RunManifest
from tutorloop.records.result import EvalResult
from tutorloop.records.review import ReviewLabel
from tutorloop.records.session import Session

RECORDS: dict[str, type[BaseModel]] = {
    "session": Session,
    "replay-artifact": ReplayArtifact,
    "eval-result": EvalResult,
    "grade": Grade,
    "human-label": HumanLabel,
    "label-prediction": LabelPrediction,
    "learned-manifest": LearnedManifest,
    "run-manifest": RunManifest,
    "review-label": ReviewLabel,
}


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the record called ``name``."""
    try:
        model = RECORDS[name]
    except KeyError:
        choices = ", ".join(sorted(RECORDS))
        raise KeyError(f"unknown record '{name}'; choose one of: {choices}") from None
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
