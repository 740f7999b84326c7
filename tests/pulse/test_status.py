"""PULSE status.json: the bundled schema, load, validate, and a patch that keeps the contract."""

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tutorloop.atomic as atomic
from tutorloop.errors import LoadError, StoreError
from tutorloop.pulse.check_gates import check_gates
from tutorloop.pulse.status import (
    DECISION_FIELDS,
    StatusSchemaError,
    load_status,
    patch_status,
    refusal_smoke_result_v0_schema_path,
    status_v1_schema_path,
    validate_status,
)

SAMPLE = Path(__file__).parents[1] / "fixtures" / "pulse" / "sample_status.json"
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def gate_check(path: Path, *required: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    return check_gates(path, list(required), out, err), out.getvalue() + err.getvalue()


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return Path(shutil.copy(SAMPLE, tmp_path / "status.json"))


def patch(path: Path, **kwargs):
    args = {"gates": {"g": True}, "metrics": {}, "run_mode": "core", "version": "0.1.0"}
    return patch_status(path, **(args | kwargs))


def test_the_bundled_schemas_are_verbatim_copies_of_pulse_head():
    # SHA-256 of the copies of PULSE @ 1e7246b5 (see src/tutorloop/data/pulse/NOTICE.md).
    assert sha256(status_v1_schema_path()) == (
        "2928575089852bc1b07dca9ac7d2d963b01b4707cb021a1a25c12c1ac885ab20"
    )
    assert sha256(refusal_smoke_result_v0_schema_path()) == (
        "ad216b6442b8be130fed1365b6f97f4bae001358d79547493c6806ba00ef1863"
    )
    assert sha256(SAMPLE) == "1a60ed35f0eff3820227d2ee415cf5189ad280e13ab9fd081890a352468e47e2"
    notice = (status_v1_schema_path().parent / "NOTICE.md").read_text(encoding="utf-8")
    for needed in ("HKati/pulse-release-gates-0.1", "1e7246b50023f7d5900ec57b38c75c7f9f191754",
                   "schemas/status/status_v1.schema.json", "Apache License, Version 2.0",
                   "https://www.apache.org/licenses/LICENSE-2.0"):  # fmt: skip
        assert needed in notice


def test_the_sample_status_is_valid():
    assert validate_status(json.loads(SAMPLE.read_text(encoding="utf-8"))) == []


def test_schema_problems_are_readable_lines():
    assert validate_status([]) == ["$: [] is not of type 'object'"]
    assert validate_status({"gates": {"b": 1}, "metrics": {"run_mode": "test"}}) == [
        "$: 'created_utc' is a required property",
        "$: 'version' is a required property",
        "$.gates.b: 1 is not of type 'boolean'",
        "$.metrics.run_mode: 'test' is not one of ['demo', 'core', 'prod']",
    ]


def test_load_status(sample, tmp_path):
    assert load_status(sample) == json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert load_status(tmp_path / "missing.json") is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "not valid JSON"),
        ('{"gates": {"a": NaN}}', "not valid JSON"),
        ("[1, 2]", "not a JSON object (found list)"),
        ("null", "not a JSON object (found null)"),
    ],
)
def test_load_status_names_the_file_of_a_bad_status(tmp_path, text, why):
    path = tmp_path / "status.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_status(path)
    assert str(path) in caught.value.message and why in caught.value.message


def test_patch_creates_a_schema_valid_status(tmp_path):
    path = tmp_path / "out" / "status.json"
    written = patch(path, gates={"q1_grounded_ok": True, "q4_slo_ok": False}, metrics={"n": 3})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert written == data
    assert list(data)[:4] == ["version", "created_utc", "metrics", "gates"]
    assert data["version"] == "0.1.0" and UTC_Z.match(data["created_utc"])
    assert data["metrics"] == {"n": 3, "run_mode": "core"}
    assert data["gates"] == {"q1_grounded_ok": True, "q4_slo_ok": False}
    assert data["q1_grounded_ok"] is True and data["q4_slo_ok"] is False  # mirrors
    assert validate_status(data) == []
    assert not DECISION_FIELDS & {k.lower() for k in data}
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert path.read_text(encoding="utf-8") == text


def test_our_status_passes_pulse_check_gates(tmp_path):
    path = tmp_path / "status.json"
    patch(path, gates={"a": True, "b": True})
    patch(path, gates={"c": False}, run_mode="demo")
    assert gate_check(path, "a", "b") == (0, "[OK] All required gates PASS\n")
    assert gate_check(path, "a", "c") == (1, "[X] FAIL gates: c\n[X] Values: c=false\n")
    assert gate_check(path, "a", "zz") == (2, "[X] Missing required gates: zz\n")


def test_without_mirrors_only_gates_hold_the_gates(tmp_path):
    path = tmp_path / "status.json"
    data = patch(path, gates={"a": True}, mirrors=False)
    assert "a" not in data and data["gates"] == {"a": True}


def test_create_false_refuses_a_missing_file(tmp_path):
    path = tmp_path / "status.json"
    with pytest.raises(LoadError, match="does not exist"):
        patch(path, create=False)
    assert not path.exists()


def test_non_ascii_is_kept(tmp_path):
    path = tmp_path / "status.json"
    patch(path, metrics={"note": "dry run – non‑breaking"})
    assert "dry run – non‑breaking" in path.read_text(encoding="utf-8")


def test_patch_keeps_every_other_key_of_an_existing_status(sample):
    before = json.loads(sample.read_text(encoding="utf-8"))
    trace = {"kind": "diagnostic", "dry_run": True, "run_id": "dryrun-run-0123abcd"}
    smoke = {"openai_evals_refusal_smoke_total": 6, "openai_evals_refusal_smoke_fail_rate": 0.0}
    written = patch_status(
        sample,
        gates={"openai_evals_refusal_smoke_pass": True},
        metrics=smoke,
        run_mode="core",
        version="ignored-because-present",
        extra={"openai_evals_v0": {"refusal_smoke": trace}},
    )
    assert written == json.loads(sample.read_text(encoding="utf-8"))
    for key, value in before.items():
        if key not in ("metrics", "gates"):
            assert written[key] == value, key
    assert written["metrics"] == before["metrics"] | smoke
    assert written["gates"] == before["gates"] | {"openai_evals_refusal_smoke_pass": True}
    assert written["openai_evals_refusal_smoke_pass"] is True
    assert written["openai_evals_v0"] == {"refusal_smoke": trace}
    assert validate_status(written) == []
    assert gate_check(sample, "openai_evals_refusal_smoke_pass", "q1_grounded_ok")[0] == 0


def test_run_mode_is_set_and_other_metrics_kept(sample):
    written = patch(sample, run_mode="prod")
    assert written["metrics"]["run_mode"] == "prod" and written["metrics"]["RDSI"] == 0.92


def test_extra_objects_merge_one_level_deep(tmp_path):
    path = tmp_path / "status.json"
    patch(path, extra={"openai_evals_v0": {"other": 1, "refusal_smoke": {"old": True}}})
    data = patch(path, extra={"openai_evals_v0": {"refusal_smoke": {"new": True}}, "x": [1]})
    assert data["openai_evals_v0"] == {"other": 1, "refusal_smoke": {"new": True}}
    assert data["x"] == [1]


def test_patch_heals_the_pulse_dry_run_scaffold(tmp_path):
    path = tmp_path / "status.json"
    path.write_text('{"metrics": {}, "gates": {}}', encoding="utf-8")
    assert validate_status(patch(path)) == []


def assert_refused(path: Path, error: type[Exception], match: str, **kwargs) -> None:
    before = path.read_bytes() if path.exists() else None
    with pytest.raises(error, match=match):
        patch(path, **kwargs)
    assert (path.read_bytes() if path.exists() else None) == before
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("value", [1, 0, "true", None, 1.0, [True], {"v": True}])
def test_non_boolean_gates_are_refused(sample, tmp_path, value):
    assert_refused(sample, ValueError, "literal booleans", gates={"ok": True, "bad": value})
    assert_refused(tmp_path / "new.json", ValueError, "literal booleans", gates={"bad": value})


@pytest.mark.parametrize(
    "key", ["overall_pass", "decision", "pass", "status", "verdict", "Overall-Pass", "STATUS"]
)
def test_top_level_decision_fields_are_refused(sample, tmp_path, key):
    assert_refused(sample, ValueError, "decision field", extra={key: True})
    assert_refused(tmp_path / "new.json", ValueError, "decision field", extra={key: "PASS"})


@pytest.mark.parametrize("key", ["gates", "metrics", "version", "created_utc", "g"])
def test_extra_cannot_set_what_the_arguments_own(sample, key):
    assert_refused(sample, ValueError, "must not set", extra={key: {}})


def test_a_gate_named_like_a_decision_field_is_not_mirrored(tmp_path):
    path = tmp_path / "status.json"
    assert_refused(path, ValueError, "mirrors=False", gates={"status": True})
    data = patch(path, gates={"status": True}, mirrors=False)
    assert "status" not in data and data["gates"] == {"status": True}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"run_mode": "test"}, "run_mode must be one of"),
        ({"metrics": {"run_mode": "prod"}}, "metrics\\['run_mode'\\]"),
        ({"version": ""}, "version must be"),
        ({"metrics": {"x": float("nan")}}, "strict JSON"),
        ({"extra": {"trace": {1, 2}}}, "strict JSON"),
        ({"gates": {1: True}}, "keys must be strings"),
    ],
)
def test_bad_arguments_are_refused(sample, kwargs, match):
    assert_refused(sample, ValueError, match, **kwargs)


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("{not valid json", LoadError, "not valid JSON"),
        ("[1, 2]", LoadError, "not a JSON object"),
        ('{"version": "1", "gates": []}', LoadError, "'gates' is list"),
        ('{"version": "1", "metrics": null, "gates": {}}', LoadError, "'metrics' is null"),
        ('{"version": "1", "created_utc": "x", "gates": {"b": 1}}', StatusSchemaError,
         re.escape("$.gates.b: 1 is not of type 'boolean'")),
        ('{"version": "", "gates": {}}', StatusSchemaError, re.escape("$.version")),
    ],
)  # fmt: skip
def test_an_invalid_existing_file_is_an_error_and_stays_untouched(tmp_path, text, error, match):
    path = tmp_path / "status.json"
    path.write_text(text, encoding="utf-8")
    assert_refused(path, error, match)
    with pytest.raises(error) as caught:
        patch(path)
    assert str(path) in str(caught.value)


def test_a_failed_write_leaves_the_old_file_intact(sample, monkeypatch):
    def fail(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", fail)
    assert_refused(sample, StoreError, "No space left", gates={"new_gate": True})
    assert sample.read_bytes() == SAMPLE.read_bytes()


def check_gates_is_wired() -> bool:
    from tutorloop.cli.app import COMMANDS

    return "check-gates" in COMMANDS


@pytest.mark.e2e
@pytest.mark.skipif(not check_gates_is_wired(), reason="check-gates is not registered in app.py")
def test_python_dash_m_tutorloop_check_gates_on_a_patched_status(tmp_path):
    path = tmp_path / "status.json"
    patch(path, gates={"a": True, "b": False})

    def cli(*required: str) -> tuple[int, str]:
        args = [sys.executable, "-m", "tutorloop", "check-gates", "--status", str(path)]
        result = subprocess.run(
            [*args, "--require", *required],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "200"},
        )
        return result.returncode, result.stdout

    assert cli("a") == (0, "[OK] All required gates PASS\n")
    assert cli("a", "b") == (1, "[X] FAIL gates: b\n[X] Values: b=false\n")
    assert cli("a", "zz") == (2, "[X] Missing required gates: zz\n")
