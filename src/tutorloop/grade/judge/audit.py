"""The judge audit: a seeded random share of sessions judged even where the heuristics are sure.

Which sessions are audited depends only on the seed and each item's key (a hash, not a random
stream), so a resumed or re-ordered run audits the same sessions. For every judged session the
heuristics' and the judge's verdicts are kept side by side
(:class:`~tutorloop.records.JudgeReview`), so their agreement can be measured per check and
per heuristics version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from tutorloop.records import EvalCheck, JudgedBecause, JudgedCheck, JudgeReview

DEFAULT_AUDIT_SHARE = 0.1
"""The share of sessions audited by default when a judge is configured."""


def audit_pick(key: str, share: float, seed: int = 0) -> bool:
    """Whether the item ``key`` falls in the audited ``share`` (0–1) for ``seed``."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def judge_review(
    heuristic: Sequence[EvalCheck],
    judged: Sequence[EvalCheck],
    because: JudgedBecause,
    model: str,
    heuristic_version: str,
    notes: str | None = None,
) -> JudgeReview:
    """The heuristics' and the judge's verdict on each check both gave, side by side."""
    by_name = {c.name: c for c in judged}
    checks = []
    for check in heuristic:
        other = by_name.get(check.name)
        if other is None:
            continue
        mine = check.verdict or ("pass" if check.passed else "fail")
        theirs = other.verdict or ("pass" if other.passed else "fail")
        checks.append(
            JudgedCheck(
                name=check.name,
                heuristic=mine,
                judge=theirs,
                judge_reason=other.reason,
                decided=mine == "unsure",
            )
        )
    return JudgeReview(
        model=model,
        because=because,
        heuristic_version=heuristic_version,
        checks=checks,
        notes=notes,
    )
