"""The API's objects as the SDK reads them: eval, run, output item, their ids and run totals.

Field names match the SDK's ``EvalRetrieveResponse``, ``RunRetrieveResponse`` and
``OutputItemRetrieveResponse``: ``result_counts {total, errored, failed, passed}``,
``per_testing_criteria_results [{testing_criteria, passed, failed}]``, ``per_model_usage
[{model_name, invocation_count, prompt_tokens, completion_tokens, total_tokens,
cached_tokens}]``.

As on the hosted API, each testing criterion gets an id ``<name>-<uuid>`` when its eval is
created; that id names the criterion in ``per_testing_criteria_results`` and its grader's result
in output items. A run that has not graded anything yet has ``per_model_usage`` and
``per_testing_criteria_results`` null, and a run that samples no model (``jsonl``) has
``model`` null and, with no model called, ``per_model_usage`` null.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterable
from typing import Any

from tutorloop.records import GraderResult
from tutorloop.serve.openai_evals.wire import CustomConfig, EvalCreate, LogsConfig

__all__ = [
    "SAMPLE_SCHEMA",
    "criteria_ids",
    "criterion_id",
    "eval_object",
    "new_id",
    "now",
    "output_item",
    "run_object",
    "run_totals",
]

SAMPLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "model": {"type": "string"},
        "choices": {"type": "array"},
        "output_text": {"type": "string"},
        "output_json": {"type": "object"},
    },
    "required": ["model", "choices"],
}
"""The ``sample`` namespace, as ``include_sample_schema`` adds it to the schema."""


def new_id(prefix: str) -> str:
    """A fresh id such as ``eval_6f0c…`` (24 hex digits)."""
    return f"{prefix}_{secrets.token_hex(12)}"


def now() -> int:
    """Unix seconds."""
    return int(time.time())


def criterion_id(name: str) -> str:
    """A testing criterion's id, as the hosted API makes them: ``<name>-<uuid4>``."""
    return f"{name}-{uuid.uuid4()}"


def criteria_ids(evaluation: dict[str, Any]) -> list[str]:
    """The ids of the eval's testing criteria, in order (an eval stored without: the names)."""
    return [
        str(entry.get("id") or entry.get("name") or index)
        for index, entry in enumerate(evaluation.get("testing_criteria") or [])
    ]


def eval_object(params: EvalCreate) -> dict[str, Any]:
    """The eval object ``POST /v1/evals`` answers with."""
    config = params.data_source_config
    if isinstance(config, CustomConfig):
        properties: dict[str, Any] = {"item": config.item_schema}
        required = ["item"]
        if config.include_sample_schema:
            properties["sample"] = SAMPLE_SCHEMA
            required.append("sample")
        source_config: dict[str, Any] = {
            "type": "custom",
            "schema": {"type": "object", "properties": properties, "required": required},
        }
    else:
        assert isinstance(config, LogsConfig)
        source_config = {
            "type": config.type,
            "metadata": config.metadata,
            "schema": {"type": "object", "properties": {"item": {"type": "object"}}},
        }
    return {
        "object": "eval",
        "id": new_id("eval"),
        "name": params.name or "",
        "metadata": params.metadata or {},
        "created_at": now(),
        "data_source_config": source_config,
        "testing_criteria": [
            {**entry, "id": criterion_id(str(entry.get("name", "")))}
            for entry in params.testing_criteria
        ],
    }


def item_schema(evaluation: dict[str, Any]) -> dict[str, Any] | None:
    """The eval's JSON Schema of ``item`` (None: no constraint)."""
    schema = evaluation.get("data_source_config", {}).get("schema") or {}
    found = schema.get("properties", {}).get("item")
    return found if isinstance(found, dict) and found != {"type": "object"} else None


def run_object(
    eval_id: str,
    name: str | None,
    metadata: dict[str, str] | None,
    data_source: dict[str, Any],
    report_url: str,
    run_id: str,
) -> dict[str, Any]:
    """A new, ``queued`` run."""
    return {
        "object": "eval.run",
        "id": run_id,
        "eval_id": eval_id,
        "name": name or run_id,
        "model": data_source.get("model") or None,
        "status": "queued",
        "created_at": now(),
        "data_source": data_source,
        "metadata": metadata or {},
        "error": None,
        "report_url": report_url,
        "result_counts": {"total": 0, "errored": 0, "failed": 0, "passed": 0},
        "per_model_usage": None,
        "per_testing_criteria_results": None,
    }


def output_item(
    run: dict[str, Any],
    index: int,
    item: dict[str, Any],
    sample: dict[str, Any],
    results: list[GraderResult],
    names: list[str] | None = None,
) -> dict[str, Any]:
    """The output item of one data-source item: ``pass``, ``fail``, or ``error``.

    An item passes when every grader passed (a score grader without a threshold counts as
    passed); it errored when its sample or one of its graders failed. ``names`` (the criteria
    ids, in the graders' order) name the results, as the hosted API names them.
    """
    errored = sample.get("error") is not None or any(r.error for r in results)
    passed = not errored and all(r.passed is not False for r in results)
    return {
        "object": "eval.run.output_item",
        "id": new_id("outputitem"),
        "run_id": run["id"],
        "eval_id": run["eval_id"],
        "created_at": now(),
        "status": "error" if errored else ("pass" if passed else "fail"),
        "datasource_item_id": index,
        "datasource_item": item,
        "results": [
            _result(r, names[i] if names and i < len(names) else r.name)
            for i, r in enumerate(results)
        ],
        "sample": sample,
    }


def _result(result: GraderResult, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "type": result.type,
        "score": result.score if result.score is not None else 0.0,
        "passed": result.passed is not False and result.error is None,
        "sample": None,
    }
    if result.label is not None:
        out["label"] = result.label
    if result.reason:
        out["reason"] = result.reason
    if result.sub_scores:
        out["sub_scores"] = result.sub_scores
    if result.error is not None:
        out["error"] = {"code": result.error.type, "message": result.error.message}
    return out


def run_totals(criteria: list[str], items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """``result_counts``, ``per_testing_criteria_results`` and ``per_model_usage`` of the items.

    ``criteria`` are the criteria ids (the names output item results carry); ``per_model_usage``
    is null when no model was called.
    """
    counts = {"total": 0, "errored": 0, "failed": 0, "passed": 0}
    per_grader: dict[str, dict[str, Any]] = {
        name: {"testing_criteria": name, "passed": 0, "failed": 0} for name in criteria
    }
    usage: dict[str, dict[str, Any]] = {}
    for entry in items:
        counts["total"] += 1
        status = entry.get("status")
        counts["errored" if status == "error" else "passed" if status == "pass" else "failed"] += 1
        for result in entry.get("results", []):
            slot = per_grader.get(result.get("name"))
            if slot is not None and "error" not in result:
                slot["passed" if result.get("passed") else "failed"] += 1
        sample = entry.get("sample") or {}
        model, used = sample.get("model"), sample.get("usage")
        if model and isinstance(used, dict) and sample.get("error") is None:
            row = usage.setdefault(
                model,
                {"model_name": model, "invocation_count": 0, "prompt_tokens": 0,
                 "completion_tokens": 0, "total_tokens": 0, "cached_tokens": 0},
            )  # fmt: skip
            row["invocation_count"] += 1
            for key in ("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens"):
                row[key] += int(used.get(key) or 0)
    return {
        "result_counts": counts,
        "per_testing_criteria_results": list(per_grader.values()),
        "per_model_usage": list(usage.values()) or None,
    }
