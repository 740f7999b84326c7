"""The escalation queue as the report shows it: each session with its turns and evidence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import zip_longest

from tutorloop.analyse import QueueEntry
from tutorloop.present.report.highlight import Segment, Span, segments
from tutorloop.present.report.sources import Trajectories, Wanted, find_trajectories
from tutorloop.records import SEVERITY_ORDER, EscalationReason, EvalResult, Failure, Turn
from tutorloop.store import Store

TITLE_CHARS = 140
"""Longest title a queue row shows (a longer opening line is cut, with an ellipsis)."""


CAUSES = {
    "low_fidelity": "low fidelity",
    "safety": "safety",
    "severe_failure": "severe failure",
    "unsure": "grader unsure",
    "judge_disagreement": "judge disagrees with the heuristics",
    "grader_error": "grader error",
}
"""Escalation reason codes in words."""


def cause_of(failures: Sequence[Failure], reasons: Sequence[EscalationReason]) -> str:
    """What put a session in the queue: its most severe failure, else its first reason."""
    if failures:
        return max(failures, key=lambda f: SEVERITY_ORDER.get(f.severity, 0)).name
    return reasons[0].code if reasons else "escalated"


def cause_label(cause: str) -> str:
    """A cause in words: a failure class or an escalation reason."""
    return CAUSES.get(cause, cause.replace("_", " "))


def by_cause(views: Sequence[SessionView]) -> list[tuple[str, list[SessionView]]]:
    """``views`` (most severe first) grouped by cause, causes by their most severe session."""
    groups: dict[str, list[SessionView]] = {}
    for view in views:
        groups.setdefault(view.cause, []).append(view)
    return [(cause_label(cause), group) for cause, group in groups.items()]


@dataclass(frozen=True, slots=True)
class TurnView:
    """One turn, cut into segments (evidence segments are marked)."""

    index: int
    role: str
    segments: list[Segment]

    @property
    def speaker(self) -> str:
        """``tutor`` or ``learner``."""
        return "tutor" if self.role == "assistant" else "learner"


@dataclass(frozen=True, slots=True)
class Column:
    """One trajectory: the original, or the graded one (with the evidence highlighted)."""

    title: str
    turns: list[TurnView]


@dataclass(frozen=True, slots=True)
class FailedCheck:
    """A check that failed, why, and the quoted evidence (turn, text)."""

    name: str
    reason: str
    source: str
    evidence: list[tuple[int, str]]


@dataclass
class SessionView:
    """One escalated session of the queue."""

    entry: QueueEntry
    domain: str | None
    failed: list[FailedCheck] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    reasons: list[EscalationReason] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    origin: str | None = None
    """Where the turns were found; None when they could not be."""
    title: str = ""
    """The session's title, else its opening learner line, else its id."""
    persona: str | None = None

    @property
    def cause(self) -> str:
        """What put it in the queue (see :func:`cause_of`)."""
        return cause_of(self.failures, self.reasons)

    @property
    def rows(self) -> list[tuple[TurnView | None, ...]]:
        """The columns' turns side by side, turn by turn (None where a column has ended)."""
        return list(zip_longest(*(column.turns for column in self.columns)))


def queue_sessions(store: Store, run_id: str, queue: Sequence[QueueEntry]) -> list[SessionView]:
    """The queued sessions, in queue order, with results and trajectories from the store."""
    wanted = {entry.item_key for entry in queue}
    if not wanted:
        return []
    results: dict[str, EvalResult] = {}
    sources: dict[str, Wanted] = {}
    for item in store.iter_items(run_id):
        if item.item_key in wanted and (result := item.result) is not None:
            results[item.item_key] = result
            sources[item.item_key] = Wanted(result.session_id, item.source)
    found = find_trajectories(store, run_id, sources)
    personas = store.artifact_facets(run_id)
    views = []
    for entry in queue:
        result = results.get(entry.item_key)
        if result is not None:
            view = _view(entry, result, found.get(entry.item_key))
            view.persona = personas.get(entry.item_key, (None, None))[1]
            views.append(view)
    return views


def _view(entry: QueueEntry, result: EvalResult, found: Trajectories | None) -> SessionView:
    failed = [c for c in result.checks if not c.passed]
    view = SessionView(
        entry=entry,
        domain=result.domain,
        failed=[
            FailedCheck(
                name=c.name,
                reason=c.reason or "",
                source=c.source,
                evidence=[(e.turn, e.text) for e in c.evidence],
            )
            for c in failed
        ],
        failures=list(result.failures),
        reasons=list(result.escalation_reasons),
    )
    if found is None:
        view.title = f"session {result.session_id}"
        return view
    text = found.title or found.opening or f"session {result.session_id}"
    view.title = text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"
    spans: dict[int, list[Span]] = defaultdict(list)
    for check in failed:
        for ev in check.evidence:
            spans[ev.turn].append(Span(check.name, ev.start, ev.end, ev.text))
    if found.original is not None:
        view.columns.append(Column("original (logged)", turn_views(found.original, {})))
    graded = f"regenerated ({entry.condition})" if found.original is not None else "session"
    view.columns.append(Column(graded, turn_views(found.graded, spans)))
    view.origin = found.origin
    return view


def turn_views(turns: list[Turn], spans: dict[int, list[Span]]) -> list[TurnView]:
    """``turns`` as views, each cut into segments at the evidence ``spans`` of its index."""
    return [
        TurnView(i, turn.role, segments(turn.content, spans.get(i, ())))
        for i, turn in enumerate(turns)
    ]
