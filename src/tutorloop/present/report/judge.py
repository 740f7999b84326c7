"""The report's judge section: each judged session's verdicts and notes beside the heuristics'.

Sessions are read from the store in one streaming pass, keeping at most ``limit`` of them (the
audited ones first, since they are the evidence on sessions the judge would not otherwise see);
the heuristic–judge agreement per check comes from the store's judge reviews.
"""

from __future__ import annotations

from dataclasses import dataclass

from tutorloop.analyse import JudgeAgreement, judge_agreement
from tutorloop.records import JudgedCheck
from tutorloop.store import Store

MAX_JUDGED_SESSIONS = 200
"""How many judged sessions the section lists."""


@dataclass(frozen=True)
class JudgedSession:
    """One session the judge reviewed: why, each check both ways, and the judge's notes."""

    item_key: str
    session_id: str
    condition: str | None
    because: str
    model: str
    checks: list[JudgedCheck]
    notes: str | None

    @property
    def disagreements(self) -> int:
        """Checks where both were sure and gave different verdicts."""
        return sum(
            1
            for c in self.checks
            if "unsure" not in (c.heuristic, c.judge) and c.heuristic != c.judge
        )


@dataclass(frozen=True)
class JudgeSection:
    """What the report's judge section shows."""

    agreement: list[JudgeAgreement]
    sessions: list[JudgedSession]
    left_out: int

    @property
    def empty(self) -> bool:
        """No judge reviewed any session of the run."""
        return not self.sessions and not self.left_out


def judge_section(store: Store, run_id: str, limit: int = MAX_JUDGED_SESSIONS) -> JudgeSection:
    """The judge section of ``run_id``: agreement per check and the judged sessions."""
    kept: list[JudgedSession] = []
    total = 0
    for item in store.iter_items(run_id):
        review = item.result.judge if item.result is not None else None
        if review is None:
            continue
        total += 1
        kept.append(
            JudgedSession(
                item_key=item.item_key,
                session_id=item.session_id,
                condition=item.condition,
                because=review.because,
                model=review.model,
                checks=list(review.checks),
                notes=review.notes,
            )
        )
        if len(kept) > 2 * limit:  # keep memory flat: trim to the most telling sessions
            kept = _most_telling(kept, limit)
    kept = _most_telling(kept, limit)
    return JudgeSection(judge_agreement(store.judge_counts(run_id)), kept, total - len(kept))


def _most_telling(sessions: list[JudgedSession], limit: int) -> list[JudgedSession]:
    """Audited sessions first, then those with disagreements, then in run order."""
    order = {id(s): i for i, s in enumerate(sessions)}
    ranked = sorted(sessions, key=lambda s: (s.because != "audit", -s.disagreements, order[id(s)]))
    return ranked[:limit]
