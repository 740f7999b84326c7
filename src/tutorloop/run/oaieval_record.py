"""A stored registry eval run written as oaieval's record file (``--record-path``).

The file is JSONL, as oaieval's local recorder writes it, so tools that read those records (the
unweave POC's ``eval-server`` scans for the line with ``final_report``) read this one:

1. ``{"spec": {...}}``: ``completion_fns``, ``eval_name``, ``base_eval``, ``split``,
   ``run_config``, ``created_by``, ``run_id``, ``created_at`` (UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``);
2. per sample, in the order they were graded, events ``{"run_id", "event_id", "sample_id",
   "type", "data", "created_by", "created_at"}``: ``sampling`` (``prompt``, ``sampled``), then
   ``match`` (``correct``, ``expected``, ``picked``, ``sampled``) for the classes that record a
   match, ``metrics`` (the sample's metrics; a model-graded sample's ``choice``), or ``error``
   (``type``, ``message``);
3. ``{"final_report": {...}, "run_id": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tutorloop._version import __version__
from tutorloop.errors import StoreError
from tutorloop.grade import ideals_of
from tutorloop.load import EvalRegistry, RegistrySample
from tutorloop.records import GraderResult, RegistryEval
from tutorloop.store import Store, atomic_write_text

__all__ = ["oaieval_record_lines", "write_oaieval_record"]

_MATCHES = frozenset({"oaieval.Match", "oaieval.FuzzyMatch", "oaieval.JsonMatch"})
"""The classes whose samples record a ``match`` event."""


def _time(iso: str | None) -> str:
    when = datetime.fromisoformat(iso) if iso else datetime.now(UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def oaieval_record_lines(
    store: Store, run_id: str, registry: EvalRegistry
) -> Iterator[dict[str, Any]]:
    """The record's lines for the stored run ``run_id`` (its samples read from ``registry``).

    Raises:
        StoreError: no such run, or it is not a registry eval run.
    """
    manifest = store.get_run(run_id)
    if manifest.kind != "oaieval":
        raise StoreError(f"run {run_id} is a {manifest.kind} run, not a registry eval run")
    config = manifest.config
    spec = RegistryEval.model_validate(config["eval"])
    created_by = f"tutorloop {__version__}"
    created_at = _time(manifest.created_at)
    models = [m for m in (config.get("model"), config.get("judge_model")) if m]
    yield {
        "spec": {
            "completion_fns": models,
            "eval_name": spec.eval_id,
            "base_eval": spec.base_eval,
            "split": spec.split,
            "run_config": {
                "completion_fns": models,
                "eval_spec": {"cls": spec.class_path, "args": spec.args, "key": spec.eval_id},
                "seed": config.get("seed"),
                "max_samples": config.get("max_samples"),
            },
            "created_by": created_by,
            "run_id": run_id,
            "created_at": created_at,
        }
    }
    samples = {s.key: s for s in registry.iter_samples(spec) if isinstance(s, RegistrySample)}
    event_id = 0
    for item in store.iter_items(run_id):
        sample = samples.get(item.item_key)
        result = item.result.graders[0] if item.result and item.result.graders else None
        for kind, data in _events(sample, result, item.error):
            yield {
                "run_id": run_id, "event_id": event_id, "sample_id": item.item_key,
                "type": kind, "data": data, "created_by": created_by, "created_at": created_at,
            }  # fmt: skip
            event_id += 1
    yield {"final_report": config.get("final_report"), "run_id": run_id}


def _events(
    sample: RegistrySample | None, result: GraderResult | None, error: Any
) -> Iterator[tuple[str, dict[str, Any]]]:
    prompt = sample.data.get("input") if sample else None
    sampled = result.evidence[0].text if result and result.evidence else None
    if sampled is not None:
        yield "sampling", {"prompt": prompt, "sampled": sampled}
    if result is None or result.error is not None:
        found = (result.error if result else None) or error
        yield (
            "error",
            {"type": getattr(found, "type", ""), "message": getattr(found, "message", "")},
        )
        return
    expected = ideals_of(sample.data) if sample else []
    if result.type in _MATCHES:
        yield "match", {
            "correct": bool(result.passed), "expected": expected, "picked": result.label,
            "sampled": sampled,
        }  # fmt: skip
    if result.type == "oaieval.ModelBasedClassify":
        yield "metrics", {"choice": result.label, **result.sub_scores}
    elif result.type != "oaieval.Match":
        yield "metrics", dict(result.sub_scores)


def write_oaieval_record(store: Store, run_id: str, registry: EvalRegistry, path: Path) -> Path:
    """Write the record of run ``run_id`` to ``path`` (atomically); return the path."""
    text = "".join(
        json.dumps(line, ensure_ascii=False) + "\n"
        for line in oaieval_record_lines(store, run_id, registry)
    )
    atomic_write_text(path, text)
    return path
