"""PULSE ``status.json``: read it, validate it, and patch it without breaking its contract.

The contract (PULSE ``docs/STATUS_CONTRACT.md``; ``status_v1.schema.json`` is bundled in
``tutorloop/data/pulse/``): ``gates.*`` is the only normative surface and holds booleans (a
gate passes only on literal ``true``); ``metrics.*`` is descriptive and ``metrics.run_mode``
is ``demo``, ``core`` or ``prod``; no top-level decision field (``overall_pass``,
``decision``...) may stand beside the gates; top-level mirrors of gates are a convenience.

:func:`patch_status` checks its arguments before it touches the disk, keeps every key it does
not own, validates the result against the schema and replaces the file atomically: whatever
fails, the old file stays as it was. Files are strict JSON (no ``NaN``/``Infinity``).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, get_args

from tutorloop.atomic import atomic_write_text
from tutorloop.errors import LoadError, Problem, UserError

__all__ = [
    "DECISION_FIELDS", "MANAGED_FIELDS", "RUN_MODES", "RunMode", "StatusSchemaError",
    "load_status", "patch_status", "refusal_smoke_result_v0_schema_path",
    "status_v1_schema_path", "validate_status",
]  # fmt: skip

RunMode = Literal["demo", "core", "prod"]
RUN_MODES: tuple[str, ...] = get_args(RunMode)

DECISION_FIELDS: frozenset[str] = frozenset({
    "all_gates_pass", "all_pass", "decision", "gate_pass", "gates_pass", "ok", "outcome",
    "overall", "overall_pass", "overall_status", "pass", "passed", "release_decision",
    "release_ok", "release_pass", "result", "status", "verdict",
})  # fmt: skip
"""Top-level names that read as a release decision; never written (compared case-insensitively,
with ``-`` read as ``_``)."""

MANAGED_FIELDS: frozenset[str] = frozenset({"version", "created_utc", "gates", "metrics"})
"""Top-level keys :func:`patch_status` sets from its own arguments."""

_DATA = files("tutorloop") / "data" / "pulse"
_KEEP_HINT = "fix or remove the file; tutorloop never overwrites a status file it cannot read"


class StatusSchemaError(UserError):
    """The patched status would not validate against PULSE ``status_v1.schema.json``."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"{path}: the patched status does not match PULSE status_v1.schema.json; "
            f"nothing was written:\n{lines}"
        )
        self.path = path
        self.problems = problems


def status_v1_schema_path() -> Path:
    """The bundled PULSE ``status_v1.schema.json`` (JSON Schema draft 2020-12, Apache-2.0)."""
    return Path(str(_DATA / "status_v1.schema.json"))


def refusal_smoke_result_v0_schema_path() -> Path:
    """The bundled PULSE ``openai_evals_refusal_smoke_result_v0.schema.json`` (Apache-2.0)."""
    return Path(str(_DATA / "openai_evals_refusal_smoke_result_v0.schema.json"))


def load_status(path: Path | str) -> dict[str, Any] | None:
    """Read a status.json; ``None`` when the file does not exist.

    A missing file is not an error here (the first writer creates it); failing closed on a
    missing file is :func:`tutorloop.pulse.check_gates.check_gates`'s job.

    Args:
        path: The status file.

    Returns:
        The top-level JSON object, or ``None`` if there is no file at ``path``.

    Raises:
        LoadError: The file exists but cannot be read, is not strict JSON (``NaN`` and
            ``Infinity`` are refused) or is not a JSON object. The message names the file.
    """
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad_file(target, f"cannot read the status file: {exc}") from exc
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise _bad_file(target, f"the status file is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        found = type(data).__name__ if data is not None else "null"
        raise _bad_file(target, f"the status file is not a JSON object (found {found})")
    return data


def validate_status(data: object) -> list[str]:
    """Check ``data`` against the bundled PULSE ``status_v1.schema.json``.

    Args:
        data: A parsed status (anything; a non-object is itself a problem).

    Returns:
        Sorted lines ``"<JSON path>: <message>"`` (e.g. ``"$.gates.b: 1 is not of type
        'boolean'"``); empty if valid.

    Raises:
        UserError: The ``jsonschema`` package is not installed.
    """
    errors = sorted(_validator().iter_errors(data), key=lambda e: (e.json_path, e.message))
    return [f"{e.json_path}: {e.message}" for e in errors]


def patch_status(
    path: Path | str,
    *,
    gates: Mapping[str, bool],
    metrics: Mapping[str, Any],
    run_mode: RunMode,
    version: str,
    mirrors: bool = True,
    extra: Mapping[str, Any] | None = None,
    create: bool = True,
) -> dict[str, Any]:
    """Merge gates, metrics and extra keys into a PULSE status.json, atomically.

    Sets ``version`` and ``created_utc`` (UTC, ``YYYY-MM-DDTHH:MM:SSZ``) only when absent,
    sets ``metrics.run_mode``, merges ``metrics`` and ``gates`` into the existing objects and
    keeps every other key of the file. With ``mirrors`` each gate written is also copied to
    the top level. Each ``extra`` key is set at the top level; when both its new and old values
    are objects they are merged one level deep (so ``{"openai_evals_v0": {"refusal_smoke":
    trace}}`` replaces only ``refusal_smoke``). No top-level decision field is ever added.

    Args:
        path: The status file (created with its parent folders when missing and ``create``).
        gates: Gate id to literal boolean.
        metrics: Descriptive values merged into ``metrics``.
        run_mode: ``demo``, ``core`` or ``prod``.
        version: The status version written when the file has none.
        mirrors: Also write each gate as a top-level key.
        extra: Further top-level keys, e.g. a diagnostic trace.
        create: Create the file when it is missing (else a missing file is an error).

    Returns:
        The status exactly as written (parsed back from the file's text).

    Raises:
        ValueError: A bad argument: a non-boolean gate, a non-string key, a decision field
            or a key owned by this function in ``extra``, a mirror that would clash with a
            reserved top-level key, a bad ``run_mode`` or ``version``, or a value that is not
            strict JSON. Raised before the file is read or written.
        LoadError: The existing file is unreadable, not JSON, not an object, has a
            non-object ``gates``/``metrics``, or is missing while ``create`` is false.
        StatusSchemaError: The result would not validate; the file is left untouched.
        StoreError: The file cannot be written; the old file is left untouched.
    """
    new_gates = _checked_gates(gates, mirrors)
    new_metrics = _checked_metrics(metrics, run_mode)
    new_extra = _checked_extra(extra or {}, new_gates if mirrors else {})
    if not isinstance(version, str) or not version:
        raise ValueError(f"version must be a non-empty string, not {version!r}")
    _dump({"gates": new_gates, "metrics": new_metrics, "extra": new_extra})  # strict JSON?
    target = Path(path)
    status = load_status(target)
    if status is None:
        if not create:
            raise LoadError(
                Problem(str(target), "the status file does not exist", hint="pass create=True")
            )
        status = {}
    status.setdefault("version", version)
    status.setdefault("created_utc", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    status["metrics"] = {**_object_at(status, "metrics", target), **new_metrics}
    status["gates"] = {**_object_at(status, "gates", target), **new_gates}
    for key, value in new_extra.items():
        old = status.get(key)
        status[key] = (
            {**old, **value} if isinstance(old, dict) and isinstance(value, Mapping) else value
        )
    if mirrors:
        status.update(new_gates)

    text = _dump(status)
    written: dict[str, Any] = json.loads(text)
    problems = validate_status(written)
    if problems:
        raise StatusSchemaError(target, problems)
    atomic_write_text(target, text)
    return written


def _checked_gates(gates: Mapping[str, bool], mirrors: bool) -> dict[str, bool]:
    _check_keys(gates, "gates")
    bad = [f"{k}={v!r}" for k, v in gates.items() if not isinstance(v, bool)]
    if bad:
        raise ValueError(
            "gate values must be literal booleans (PULSE passes a gate only on literal true); "
            f"got {', '.join(bad)}"
        )
    if mirrors:
        clash = [k for k in gates if k in MANAGED_FIELDS or _is_decision(k)]
        if clash:
            raise ValueError(
                f"gate(s) {', '.join(clash)} cannot be mirrored at the top level (a reserved or "
                "decision field); pass mirrors=False"
            )
    return dict(gates)


def _checked_metrics(metrics: Mapping[str, Any], run_mode: str) -> dict[str, Any]:
    _check_keys(metrics, "metrics")
    if run_mode not in RUN_MODES:
        raise ValueError(f"run_mode must be one of {', '.join(RUN_MODES)}, not {run_mode!r}")
    given = metrics.get("run_mode", run_mode)
    if given != run_mode:
        raise ValueError(f"metrics['run_mode'] is {given!r} but run_mode is {run_mode!r}")
    return {**metrics, "run_mode": run_mode}


def _checked_extra(extra: Mapping[str, Any], mirrored: Mapping[str, bool]) -> dict[str, Any]:
    _check_keys(extra, "extra")
    decisions = [k for k in extra if _is_decision(k)]
    if decisions:
        raise ValueError(
            f"refusing top-level decision field(s) {', '.join(decisions)}: PULSE derives "
            "PASS/FAIL from gates.* and the required gate set only"
        )
    owned = [k for k in extra if k in MANAGED_FIELDS or k in mirrored]
    if owned:
        raise ValueError(
            f"extra must not set {', '.join(owned)}: use the gates, metrics, run_mode and "
            "version arguments (gate mirrors are written from gates)"
        )
    return dict(extra)


def _check_keys(mapping: Mapping[Any, Any], name: str) -> None:
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{name} must be a mapping, not {type(mapping).__name__}")
    bad = [repr(k) for k in mapping if not isinstance(k, str)]
    if bad:
        raise ValueError(f"{name} keys must be strings; got {', '.join(bad)}")


def _is_decision(key: str) -> bool:
    return key.lower().replace("-", "_") in DECISION_FIELDS


def _object_at(status: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = status.get(key, {})
    if not isinstance(value, dict):
        kind = "null" if value is None else type(value).__name__
        raise LoadError(
            Problem(str(path), f"'{key}' is {kind}, not a JSON object", field=key, hint=_KEEP_HINT)
        )
    return value


def _dump(data: object) -> str:
    try:
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the status cannot be written as strict JSON: {exc}") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _bad_file(path: Path, message: str) -> LoadError:
    return LoadError(Problem(str(path), message, hint=_KEEP_HINT))


@cache
def _validator() -> Any:
    try:
        jsonschema = importlib.import_module("jsonschema")
    except ImportError as exc:
        raise UserError(
            "validating a PULSE status.json needs the jsonschema package: "
            "pip install 'jsonschema>=4.21'"
        ) from exc
    schema = json.loads(status_v1_schema_path().read_text(encoding="utf-8"))
    validator_class = jsonschema.Draft202012Validator
    validator_class.check_schema(schema)
    return validator_class(schema)
