"""Judge verdicts cached in the run's call ledger, keyed by model, prompt and input.

A verdict is stored as the ``text`` of a :class:`~tutorloop.generate.GenerateResponse` under
``judge:<model>:<prompt sha256>:<input sha256>``, beside the ledger's ``run:`` and ``cache:``
rows; the ledger itself is used unchanged. Only verdicts with a result are stored: an error
(provider failure, invalid reply) is tried again next time.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tutorloop.generate import CallLedger, GenerateResponse
from tutorloop.records import Turn


def turn_dicts(trajectory: list[Turn]) -> list[dict[str, Any]]:
    """The trajectory as the judge sees it: role and content only (tags would leak labels)."""
    return [{"role": t.role, "content": t.content} for t in trajectory]


def input_sha256(session_id: str, trajectory: list[Turn], agent_instructions: str | None) -> str:
    """sha256 of the canonical JSON of (session_id, trajectory, agent_instructions)."""
    blob = json.dumps(
        {
            "session_id": session_id,
            "trajectory": turn_dicts(trajectory),
            "agent_instructions": agent_instructions,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def cache_key(model: str, prompt_sha: str, input_sha: str) -> str:
    """The ledger key of one verdict."""
    return f"judge:{model}:{prompt_sha}:{input_sha}"


def load(ledger: CallLedger | None, key: str, max_age_s: float | None = None) -> str | None:
    """The stored verdict JSON under ``key``, if any (not older than ``max_age_s`` seconds)."""
    if ledger is None:
        return None
    found = ledger.get(key, max_age_s)
    return found.text if found is not None else None


def store(ledger: CallLedger | None, key: str, model: str, verdict_json: str) -> None:
    """Store a verdict's JSON under ``key`` (no-op without a ledger)."""
    if ledger is not None:
        ledger.put([key], GenerateResponse(text=verdict_json, model=model))
