"""``tutorloop smoke refusal``: PULSE's OpenAI Evals refusal smoke test, run by tutorloop.

It reproduces PULSE's ``openai_evals_v0/run_refusal_smoke_to_pulse.py``: six prompts, each to be
classified ALLOW or REFUSE, a fail-closed gate, a result JSON, and an optional patch of a PULSE
``status.json``. OpenAI's hosted Evals platform shuts down on 2026-11-30, so by default the eval
runs here (``backend="local"``, through tutorloop's generate and grade stages); ``backend=
"openai-evals"`` sends the origin's exact request sequence to any server that still speaks the
hosted protocol.

Steps (:func:`run_refusal_smoke`):

1. The dataset must exist (else :class:`~tutorloop.errors.ConfigError`, exit 2).
2. ``dry_run``: no key, no call. ``total`` is the number of non-blank lines (not parsed), every
   one "passed", status ``succeeded``, ids ``dryrun-file``/``dryrun-eval``/``dryrun-run-<hex>``.
   An empty dataset fails the gate. A missing status file is created, schema-valid.
3. A real run needs ``confirm_real`` and at most ``max_dataset_lines`` lines, both checked before
   any call (exit 2). The local backend with a ``sim/`` model costs nothing and needs no
   confirmation (the line cap still applies). ``openai/...`` models and the hosted backend need
   ``OPENAI_API_KEY`` (exit 2 without it).
4. The gate (:func:`~.refusal_contract.gate_pass`), then the result file: the keys of
   :data:`~.refusal_contract.RESULT_KEYS` (plus ``error`` when no verdict was reached), sorted,
   indented, written atomically; ``[openai_evals_v0] wrote: <path>`` on stdout.
5. With ``status_json``: the five ``openai_evals_refusal_smoke_*`` metrics, the gate (and its
   top-level mirror) and the trace ``openai_evals_v0.refusal_smoke`` (other sub-keys kept). A
   real run skips a missing status file with a warning, as the origin does.
6. The result JSON on stdout. Exit 0 — even when the gate is false — unless ``fail_on_false``;
   exit 1 when the gate is false and ``fail_on_false``, or when no verdict was reached (a failed
   call, a timeout, a failed run: the result's ``error`` says which, and the gate is false).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sys
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tutorloop._version import __version__
from tutorloop.errors import ConfigError, TutorloopError, UserError
from tutorloop.generate import CallPolicy, ProviderSettings, full_model_name, split_model
from tutorloop.pulse.refusal_backends import (
    BackendReport,
    Counts,
    hosted_client,
    require_openai_key,
    run_hosted,
    run_local,
    utc_now,
)
from tutorloop.pulse.refusal_contract import fail_rate, gate_pass
from tutorloop.store import atomic_write_text

__all__ = [
    "DEFAULT_GATE_KEY",
    "METRIC_NAMES",
    "SmokeOptions",
    "SmokeOutcome",
    "bundled_refusal_dataset",
    "run_refusal_smoke",
]

DEFAULT_GATE_KEY = "openai_evals_refusal_smoke_pass"
METRIC_NAMES = tuple(
    f"openai_evals_refusal_smoke_{name}"
    for name in ("total", "passed", "failed", "errored", "fail_rate")
)
"""The metrics written to ``status.json`` (fixed names: they do not follow the gate key)."""
TRACE_KEY = "openai_evals_v0"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
_PREFIX = "[openai_evals_v0]"


def bundled_refusal_dataset() -> Path:
    """PULSE's six-line refusal dataset (Apache-2.0), shipped with tutorloop."""
    return Path(str(files("tutorloop") / "data" / "pulse" / "refusal_smoke.jsonl"))


def _env(*names: str) -> str | None:
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


class SmokeOptions(BaseModel):
    """Every option of the refusal smoke test; the defaults are the origin's, adapted."""

    model_config = ConfigDict(extra="forbid")

    dataset: Path = Field(default_factory=bundled_refusal_dataset)
    """JSONL of ``{"item": {"prompt": ..., "expected": "ALLOW"|"REFUSE"}}`` (default: bundled)."""
    model: str = "gpt-4.1"
    """The model as given: ``provider/model``, or a bare name, which means ``openai/<name>``
    (``sim/study`` runs offline). The result and the status trace write it as given, as PULSE's
    runner does."""
    status_json: Path | None = None
    """A PULSE ``status.json`` to patch with the metrics, the gate and the trace."""
    gate_key: str = Field(default=DEFAULT_GATE_KEY, min_length=1)
    out: Path = Path("refusal_smoke_result.json")
    """The result file (default: in the current directory)."""
    poll_interval: float = Field(default=2.0, ge=0)
    """Seconds between polls of a hosted run."""
    max_wait: float = Field(default=300.0, ge=0)
    """Seconds to wait for a hosted run to end before giving up (the gate then fails)."""
    fail_on_false: bool = False
    """Exit 1 when the gate is false (default: exit 0, the gate is diagnostic)."""
    dry_run: bool = False
    base_url: str = Field(default_factory=lambda: _env("OPENAI_BASE_URL") or DEFAULT_BASE_URL)
    """OpenAI-compatible base URL (default ``$OPENAI_BASE_URL``, else OpenAI's); no trailing /."""
    org_id: str | None = Field(default_factory=lambda: _env("OPENAI_ORGANIZATION", "OPENAI_ORG_ID"))
    project_id: str | None = Field(
        default_factory=lambda: _env("OPENAI_PROJECT", "OPENAI_PROJECT_ID")
    )
    confirm_real: bool = False
    """Required for a run that may cost money (anything but dry-run or local ``sim/``)."""
    max_dataset_lines: int = Field(default=200, ge=0)
    """The most dataset lines a real run accepts (a cost latch)."""
    backend: Literal["local", "openai-evals"] = "local"
    run_mode: Literal["demo", "core", "prod"] | None = None
    """``metrics.run_mode`` of the status file: default the file's own, else ``core``."""

    @field_validator("model")
    @classmethod
    def _provider_model(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("give a model, e.g. gpt-4.1, openai/gpt-4.1 or sim/study")
        return value

    @property
    def target(self) -> str:
        """The model as ``provider/model``: a bare name is an OpenAI model."""
        return full_model_name(self.model)

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")


@dataclass
class SmokeOutcome:
    """What :func:`run_refusal_smoke` did."""

    exit_code: int
    result: dict[str, Any]
    result_path: Path
    status_patched: bool


def run_refusal_smoke(
    options: SmokeOptions, *, stdout: IO[str] | None = None, stderr: IO[str] | None = None
) -> SmokeOutcome:
    """Run the smoke test (module docstring); print as the origin does to stdout/stderr.

    Raises:
        ConfigError: a problem found before any call (missing dataset, no ``confirm_real``,
            too many lines, no key, a model the backend cannot run); the CLI exits 2.
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    path = options.dataset
    if not path.is_file():
        raise ConfigError(f"Dataset file not found: {path}")
    _check_gate_key(options)
    data = path.read_bytes()
    lines = data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
    sha256 = hashlib.sha256(data).hexdigest()
    report = _dry_run(data) if options.dry_run else _real_run(options, path, data, lines, sha256)
    counts = report.counts
    for warning in report.warnings:
        print(f"[warn] {warning}", file=err)
    if counts.total == 0:
        where = "Dry-run" if options.dry_run else "Eval"
        print(f"[warn] {where} returned total=0 (empty dataset, malformed JSONL or missing "
              "result_counts). Treating smoke gate as FAIL (fail-closed).", file=err)  # fmt: skip
    if report.error is not None:
        print(f"[error] {report.error}", file=err)
    passed = gate_pass(report.status, counts.total, counts.failed, counts.errored)
    result: dict[str, Any] = {
        "dry_run": options.dry_run,
        "timestamp_utc": utc_now(),
        "dataset": str(path),
        "dataset_lines": lines,
        "dataset_sha256": sha256,
        "model": options.model,
        "file_id": report.file_id,
        "eval_id": report.eval_id,
        "run_id": report.run_id,
        "report_url": report.report_url,
        "status": report.status,
        "result_counts": counts.as_dict(),
        "fail_rate": fail_rate(counts.total, counts.failed),
        "gate_key": options.gate_key,
        "gate_pass": passed,
    }
    if report.error is not None:
        result["error"] = report.error
    text = json.dumps(result, indent=2, sort_keys=True)
    atomic_write_text(options.out, text + "\n")
    print(f"{_PREFIX} wrote: {options.out}", file=out)
    code = 1 if report.error is not None or (options.fail_on_false and not passed) else 0
    patched = False
    if options.status_json is not None:
        try:
            patched = _patch_status(options, result, err)
        except (TutorloopError, ValueError) as exc:
            message = exc.message if isinstance(exc, TutorloopError) else str(exc)
            print(f"[error] status.json not patched: {message}", file=err)
            code = max(code, 2 if isinstance(exc, UserError) else 1)
    print(text, file=out)
    return SmokeOutcome(code, result, options.out, patched)


def _dry_run(data: bytes) -> BackendReport:
    text = data.decode("utf-8", errors="replace")
    total = sum(1 for line in text.splitlines() if line.strip())
    return BackendReport(
        file_id="dryrun-file",
        eval_id="dryrun-eval",
        run_id=f"dryrun-run-{secrets.token_hex(4)}",
        status="succeeded",
        counts=Counts(total=total, passed=total),
    )


def _real_run(
    options: SmokeOptions, path: Path, data: bytes, lines: int, sha256: str
) -> BackendReport:
    provider, name = split_model(options.target)
    free = options.backend == "local" and provider == "sim"
    if not options.confirm_real and not free:
        raise ConfigError(
            "Real run requested but --confirm-real is not set.\n"
            "Hint: use --dry-run for wiring validation, pass --confirm-real for a real run, or "
            "run offline for free with --backend local --model sim/study."
        )
    if lines > options.max_dataset_lines:
        raise ConfigError(
            f"Dataset too large for real run: dataset_lines={lines} > "
            f"max_dataset_lines={options.max_dataset_lines}"
        )
    if options.backend == "openai-evals":
        if provider != "openai":
            raise ConfigError(
                f"--backend openai-evals runs the model on the server, which knows no "
                f"'{provider}/' models: give openai/<model> (or a bare name), or use "
                "--backend local"
            )
        client = hosted_client(options.base_url, options.org_id, options.project_id)
        with client:
            return run_hosted(client, path, data, name, poll_interval=options.poll_interval,
                              max_wait=options.max_wait)  # fmt: skip
    if provider == "openai":
        require_openai_key()
    settings = ProviderSettings(
        base_url=options.base_url, organization=options.org_id, project=options.project_id
    )
    policy = CallPolicy(cache=False, max_retries=2)
    return run_local(data, sha256, options.target, settings, policy)


def _patch_status(options: SmokeOptions, result: dict[str, Any], err: IO[str]) -> bool:
    """Patch ``options.status_json``; False when a real run finds no file (origin: skip)."""
    from tutorloop.pulse.status import load_status, patch_status

    target = options.status_json
    assert target is not None
    existing = load_status(target)
    if existing is None and not options.dry_run:
        print(f"[warn] status.json not found (skipping patch): {target}", file=err)
        return False
    existing = existing or {}
    block = existing.get(TRACE_KEY)
    trace_block = dict(block) if isinstance(block, dict) else {}
    trace_block["refusal_smoke"] = {
        "dry_run": result["dry_run"],
        "eval_id": result["eval_id"],
        "run_id": result["run_id"],
        "report_url": result["report_url"],
        "model": result["model"],
        "dataset": result["dataset"],
        "result_json": str(options.out),
        "timestamp_utc": result["timestamp_utc"],
        "kind": "diagnostic",
    }
    counts = result["result_counts"]
    values = [counts["total"], counts["passed"], counts["failed"], counts["errored"]]
    metrics = dict(zip(METRIC_NAMES, [*values, result["fail_rate"]], strict=True))
    old_metrics = existing.get("metrics")
    old_mode = old_metrics.get("run_mode") if isinstance(old_metrics, dict) else None
    run_mode = options.run_mode or (old_mode if old_mode in ("demo", "core", "prod") else "core")
    patch_status(
        target,
        gates={options.gate_key: bool(result["gate_pass"])},
        metrics=metrics,
        run_mode=run_mode,
        version=f"tutorloop-{__version__}",  # used only when the file has no version
        mirrors=True,
        extra={TRACE_KEY: trace_block},
        create=True,
    )
    return True


def _check_gate_key(options: SmokeOptions) -> None:
    """A gate key the status patch would refuse fails before any call (exit 2)."""
    if options.status_json is None:
        return
    from tutorloop.pulse.status import DECISION_FIELDS, MANAGED_FIELDS

    key = options.gate_key
    if (
        key in MANAGED_FIELDS
        or key == TRACE_KEY
        or key.lower().replace("-", "_") in DECISION_FIELDS
    ):
        raise ConfigError(
            f"--gate-key {key!r} cannot be written to status.json (its top-level mirror would "
            f"replace a reserved or decision field); choose another, e.g. {DEFAULT_GATE_KEY}"
        )
