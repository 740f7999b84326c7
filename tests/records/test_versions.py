"""Every record reads each version it ever wrote, and refuses one from the future."""

import hashlib
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from tutorloop.records import EvalResult, ReplayArtifact, Session, json_schema

FIXTURES = Path(__file__).parent.parent / "fixtures" / "records"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (Session, "session_v1_seed_shape.json"),
        (Session, "session_v1.json"),
        (EvalResult, "eval_result_v0_seed_shape.json"),
        (EvalResult, "eval_result_v1.json"),
        (ReplayArtifact, "replay_artifact_v0_seed_shape.json"),
        (ReplayArtifact, "replay_artifact_v1.json"),
    ],
)
def test_every_known_version_reads_and_becomes_current(model, name):
    record = model.model_validate(load(name))
    assert record.schema_version == model.SCHEMA_VERSION
    again = model.model_validate_json(record.model_dump_json())
    assert again == record


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (Session, "session_v999_future.json"),
        (EvalResult, "eval_result_v3_future.json"),
        (ReplayArtifact, "replay_artifact_v2_future.json"),
    ],
)
def test_a_record_from_the_future_is_refused_with_advice(model, name):
    with pytest.raises(ValidationError, match="upgrade tutorloop"):
        model.model_validate(load(name))


def test_seed_judge_results_migrate_as_judge_checks():
    result = EvalResult.model_validate(load("eval_result_v0_seed_shape.json"))
    assert [c.source for c in result.checks] == ["judge", "judge"]
    assert [c.verdict for c in result.checks] == ["pass", "fail"]


def test_seed_artifact_migration_names_condition_mode_and_overlay_hash():
    data = load("replay_artifact_v0_seed_shape.json")
    artifact = ReplayArtifact.model_validate(data)
    meta = artifact.regeneration_meta
    assert meta.condition == "overlay"
    assert meta.mode == "teacher_forced"
    expected = hashlib.sha256(data["agent_instructions"].encode()).hexdigest()
    assert meta.overlay_sha256 == expected


def test_reading_does_not_depend_on_field_order():
    data = load("session_v1.json")
    reordered = dict(reversed(list(data.items())))
    assert Session.model_validate(reordered) == Session.model_validate(data)


def test_json_schema_of_each_record_and_unknown_name():
    for name in ("session", "replay-artifact", "eval-result", "grade", "run-manifest"):
        schema = json_schema(name)
        assert schema["$schema"].startswith("https://json-schema.org/")
        assert "properties" in schema
    with pytest.raises(KeyError, match="choose one of"):
        json_schema("nope")
