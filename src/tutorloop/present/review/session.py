"""One session as the review page shows it: both trajectories, the evidence, every grader's say.

The turns come from where the report finds them (the run's replay in the store, else the file
the session was graded from); each check's evidence is highlighted in the graded turns with
the report's highlighter. The checks list the heuristics' and the judge's verdicts side by
side, and the reviewer's own labels so far, so the page opens where they left off.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import zip_longest

from tutorloop.present.report.highlight import Span
from tutorloop.present.report.sessions import TurnView, turn_views
from tutorloop.present.review.cache import ReviewCache
from tutorloop.present.review.queue import QueueQuery, QueueRow, queue_rows, titles
from tutorloop.records import MRBENCH_DIMENSIONS, EvalCheck, EvalResult, GraderResult
from tutorloop.store import Store, StoredItem

__all__ = ["CheckView", "SessionPage", "TurnView", "session_page"]


@dataclass(frozen=True, slots=True)
class CheckView:
    """A check with each source's verdict, the reason, the evidence and the reviewer's label."""

    name: str
    heuristic: str | None
    judge: str | None
    learned: str | None
    reason: str
    confidence: float | None
    version: str | None
    evidence: list[tuple[int, str]]
    mine: str | None
    note: str | None

    @property
    def failed(self) -> bool:
        """Whether the verdict the decision used is a fail."""
        return "fail" in (self.judge or self.learned or self.heuristic or "")


@dataclass
class SessionPage:
    """Everything the session page shows."""

    run_id: str
    item: StoredItem
    result: EvalResult
    title: str
    model: str | None
    persona: str | None
    columns: list[tuple[str, list[TurnView]]] = field(default_factory=list)
    origin: str | None = None
    check_views: list[CheckView] = field(default_factory=list)
    grader_results: list[GraderResult] = field(default_factory=list)
    tutor_turns: list[int] = field(default_factory=list)
    mine: dict[tuple[str, int | None], tuple[str, str | None]] = field(default_factory=dict)
    """The reviewer's newest label per ``(dimension, turn)``: ``(value, note)``."""
    previous: str | None = None
    next: str | None = None
    position: int | None = None
    queued: int = 0

    @property
    def rows(self) -> list[tuple[TurnView | None, ...]]:
        """The columns' turns side by side (None where a column has ended)."""
        return list(zip_longest(*(turns for _, turns in self.columns)))

    @property
    def dimensions(self) -> dict[str, tuple[str, ...]]:
        """The MRBench dimensions a tutor turn is labelled on, with their values."""
        return MRBENCH_DIMENSIONS

    def label_of(self, dimension: str, turn: int | None = None) -> str | None:
        """The reviewer's current value for ``dimension`` (on ``turn``), if any."""
        found = self.mine.get((dimension, turn))
        return found[0] if found else None


def session_page(
    store: Store,
    run_id: str,
    item_key: str,
    rater: str,
    query: QueueQuery | None = None,
    cache: ReviewCache | None = None,
) -> SessionPage | None:
    """The page of item ``item_key`` of run ``run_id`` for ``rater`` (None: no such item).

    ``query`` is the queue the reviewer came from: its neighbours become previous and next
    (``cache``: see :func:`~tutorloop.present.review.queue.queue_rows`).

    Raises:
        StoreError: the run is not in the store.
    """
    store.get_run(run_id)
    item = store.get_item(run_id, item_key)
    result = item.result if item is not None else None
    if item is None or result is None:
        return None
    model, persona = store.artifact_facets(run_id).get(item_key, (None, None))
    row = QueueRow(
        run_id=run_id, item_key=item_key, session_id=result.session_id,
        condition=result.condition, model=model, persona=persona, domain=result.domain,
        severity=result.severity, fidelity=result.pedagogical_fidelity_score, failures=[],
        reasons=[], cause="", disagreement=False, labels=0, source=item.source,
    )  # fmt: skip
    found = titles(store, [row]).get((run_id, item_key))
    page = SessionPage(run_id, item, result, row.title, model, persona)
    for label in store.labels.find(run_id=run_id, item_key=item_key, rater=rater):
        page.mine[(label.dimension, label.turn)] = (label.value, label.note)
    spans: dict[int, list[Span]] = defaultdict(list)
    for check in result.checks:
        for ev in check.evidence:
            spans[ev.turn].append(Span(check.name, ev.start, ev.end, ev.text))
    if found is not None:
        page.origin = found.origin
        if found.original is not None:
            page.columns.append(("original (logged)", turn_views(found.original, {})))
        graded = f"regenerated ({result.condition})" if found.original is not None else "session"
        page.columns.append((graded, turn_views(found.graded, spans)))
        page.tutor_turns = [i for i, t in enumerate(found.graded) if t.role == "assistant"]
    page.check_views = [_check(c, page.mine.get((c.name, None))) for c in result.checks]
    page.grader_results = list(result.graders)
    if query is not None:
        _neighbours(store, page, query.model_copy(update={"run_id": run_id}), cache)
    return page


def _neighbours(
    store: Store, page: SessionPage, query: QueueQuery, cache: ReviewCache | None
) -> None:
    keys = [row.item_key for row in queue_rows(store, query, cache)[0]]
    page.queued = len(keys)
    if page.item.item_key not in keys:
        return
    at = keys.index(page.item.item_key)
    page.position = at + 1
    page.previous = keys[at - 1] if at > 0 else None
    page.next = keys[at + 1] if at + 1 < len(keys) else None


def _check(check: EvalCheck, mine: tuple[str, str | None] | None) -> CheckView:
    verdict = check.verdict or ("pass" if check.passed else "fail")
    by_source = {check.source: verdict}
    return CheckView(
        name=check.name,
        heuristic=by_source.get("heuristic"),
        judge=by_source.get("judge"),
        learned=by_source.get("learned"),
        reason=check.reason or "",
        confidence=check.confidence,
        version=check.grader_version,
        evidence=[(e.turn, e.text) for e in check.evidence],
        mine=mine[0] if mine else None,
        note=mine[1] if mine else None,
    )
