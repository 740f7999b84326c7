"""The review queue: a run's escalated sessions (or every run's), filtered, ordered and grouped.

Rows come from one indexed read of the escalated items; only the rows of the page shown get
their title (the session's title, else its opening learner line), read from the replays in
the store or from the files the sessions came from. Two orders: ``severity`` (most severe
first, then lowest fidelity, grouped by cause) and ``next`` (the ranking of ``tutorloop next``:
disagreement and nearness to the escalation threshold, over what is not labelled yet).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tutorloop.analyse import Vote, predictions_from_results, rank_items
from tutorloop.present.report.sessions import TITLE_CHARS, cause_of
from tutorloop.present.report.sessions import cause_label as report_cause_label
from tutorloop.present.report.sources import Trajectories, Wanted, find_trajectories
from tutorloop.present.review.cache import ReviewCache, items_stamp, run_stamp
from tutorloop.records import SEVERITY_ORDER, EvalResult
from tutorloop.store import Store

__all__ = [
    "FILTERS",
    "QueryError",
    "QueueGroup",
    "QueuePage",
    "QueueQuery",
    "QueueRow",
    "build_queue",
    "cause_label",
    "queue_rows",
    "titles",
]

T = TypeVar("T")

FILTERS = ("condition", "model", "persona", "domain", "failure", "severity")
"""The queue's filters that pick one value among those the queue holds."""


class QueryError(ValueError):
    """A queue query parameter that cannot be used (the message names it)."""


class QueueQuery(BaseModel):
    """What a reviewer asked of the queue (the page's GET parameters)."""

    model_config = ConfigDict(extra="forbid")

    run_id: str | None = None
    """One run's queue; None: every run's."""
    condition: str | None = None
    model: str | None = None
    persona: str | None = None
    domain: str | None = None
    failure: str | None = None
    severity: str | None = None
    disagreement: bool | None = None
    """Only sessions where the judge and the heuristics disagree (or only where they do not)."""
    label: Literal["labelled", "unlabelled"] | None = None
    order: Literal["severity", "next"] = "severity"
    """``next``: what to label next, as ``tutorloop next`` ranks it."""
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=50, ge=1, le=200)

    @classmethod
    def from_params(cls, params: dict[str, str], run_id: str | None = None) -> QueueQuery:
        """A query from GET parameters; empty values mean "any".

        Raises:
            QueryError: an unknown parameter or a value out of range (named).
        """
        data: dict[str, object] = {k: v for k, v in params.items() if v != ""}
        if run_id is not None:
            data["run_id"] = run_id
        if "disagreement" in data:
            data["disagreement"] = {"yes": True, "no": False}.get(str(data["disagreement"]), "?")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"]) or "query"
            raise QueryError(f"{where}: {error['msg']}") from None

    def params(self, **changes: object) -> dict[str, str]:
        """The query as GET parameters (without the run and defaults), with ``changes``."""
        data = self.model_dump(exclude={"run_id"}) | changes
        out: dict[str, str] = {}
        for name, value in data.items():
            if value is None or value == QueueQuery.model_fields[name].default:
                continue
            out[name] = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        return out


@dataclass
class QueueRow:
    """One escalated session in the queue."""

    run_id: str
    item_key: str
    session_id: str
    condition: str | None
    model: str | None
    persona: str | None
    domain: str | None
    severity: str | None
    fidelity: float
    failures: list[str]
    reasons: list[str]
    cause: str
    """What put it in the queue: its most severe failure, else its first escalation reason."""
    disagreement: bool
    labels: int
    """Labels it has so far (every rater, every dimension)."""
    source: str | None = None
    priority: float = 0.0
    """Its ``next`` priority (0 when nothing signals it)."""
    title: str = ""
    """Its title or opening line (filled for the rows of the page shown)."""
    seq: int = 0

    def json(self) -> dict[str, object]:
        """The row as the JSON API answers it."""
        return {
            "run_id": self.run_id, "item_key": self.item_key, "session_id": self.session_id,
            "title": self.title, "cause": self.cause, "cause_label": cause_label(self.cause),
            "condition": self.condition, "model": self.model, "persona": self.persona,
            "domain": self.domain, "severity": self.severity, "fidelity": self.fidelity,
            "failures": self.failures, "reasons": self.reasons,
            "disagreement": self.disagreement, "labels": self.labels,
            "priority": self.priority,
        }  # fmt: skip


@dataclass
class QueueGroup:
    """The page's rows that share a cause."""

    cause: str
    rows: list[QueueRow]

    @property
    def label(self) -> str:
        """The cause in words."""
        return cause_label(self.cause)


@dataclass
class QueuePage:
    """One page of the queue, with what the filter form offers."""

    query: QueueQuery
    escalated: int
    """Escalated sessions before filtering."""
    matching: int
    """Sessions that pass the filters."""
    rows: list[QueueRow]
    facets: dict[str, list[str]] = field(default_factory=dict)
    """Each filter's values present in the queue."""

    @property
    def pages(self) -> int:
        """How many pages the matching sessions fill."""
        return max(1, math.ceil(self.matching / self.query.per_page))

    @property
    def groups(self) -> list[QueueGroup]:
        """The page's rows grouped by cause (``next`` order: one group, the ranking)."""
        if self.query.order == "next":
            return [QueueGroup("next", self.rows)] if self.rows else []
        groups: dict[str, QueueGroup] = {}
        for row in self.rows:
            groups.setdefault(row.cause, QueueGroup(row.cause, [])).rows.append(row)
        return list(groups.values())

    def json(self) -> dict[str, object]:
        """The page as the JSON API answers it."""
        return {
            "object": "review.queue",
            "run_id": self.query.run_id,
            "order": self.query.order,
            "escalated": self.escalated,
            "matching": self.matching,
            "page": self.query.page,
            "pages": self.pages,
            "per_page": self.query.per_page,
            "facets": self.facets,
            "groups": [
                {"cause": g.cause, "label": g.label, "item_keys": [r.item_key for r in g.rows]}
                for g in self.groups
            ],
            "data": [row.json() for row in self.rows],
        }


def cause_label(cause: str) -> str:
    """A cause in words: a failure class or an escalation reason."""
    if cause == "next":
        return "label next: disagreement and near the threshold"
    return report_cause_label(cause)


def queue_rows(
    store: Store, query: QueueQuery, cache: ReviewCache | None = None
) -> tuple[list[QueueRow], dict[str, list[str]], int]:
    """Every queued session that passes ``query``'s filters, in its order.

    ``cache`` keeps each run's rows until the run gains items, and the ``next`` priorities
    until it gains items or labels.

    Returns:
        The rows (without titles), each filter's values before filtering, and how many
        sessions were escalated before filtering.

    Raises:
        StoreError: the run is not in the store.
    """
    run_ids = [query.run_id] if query.run_id else [m.run_id for m in store.list_runs()]
    if query.run_id:
        store.get_run(query.run_id)  # a clear error naming an unknown run
    every: list[QueueRow] = []
    for run_id in run_ids:
        base = _kept(cache, ("queue", run_id), items_stamp, store, run_id, _run_rows)
        labelled = store.labels.labelled_keys(run_id)
        priority: dict[str, float] = {}
        if query.order == "next":
            priority = _kept(cache, ("next", run_id), run_stamp, store, run_id, _priorities)
        every.extend(
            replace(row, labels=labelled.get(row.item_key, 0),
                    priority=priority.get(row.item_key, 0.0))
            for row in base
        )  # fmt: skip
    facets = {
        name: sorted({str(v) for row in every for v in _values(row, name) if v is not None})
        for name in FILTERS
    }
    rows = [row for row in every if _passes(row, query)]
    if query.order == "next":
        rows.sort(key=lambda r: (-r.priority, -_rank(r.severity), r.fidelity, r.seq))
    else:  # most severe first; each cause's rows together, causes by their most severe
        rows.sort(key=lambda r: (-_rank(r.severity), r.fidelity, r.run_id, r.seq))
        first: dict[str, int] = {}
        for row in rows:
            first.setdefault(row.cause, len(first))
        rows.sort(key=lambda r: first[r.cause])
    return rows, facets, len(every)


def build_queue(store: Store, query: QueueQuery, cache: ReviewCache | None = None) -> QueuePage:
    """The page of the queue ``query`` asks for, its rows titled (``cache``: :func:`queue_rows`).

    Raises:
        StoreError: the run is not in the store.
    """
    rows, facets, escalated = queue_rows(store, query, cache)
    start = (query.page - 1) * query.per_page
    shown = rows[start : start + query.per_page]
    titles(store, shown)
    return QueuePage(query, escalated, len(rows), shown, facets)


def titles(store: Store, rows: list[QueueRow]) -> dict[tuple[str, str], Trajectories]:
    """Give each row its title; return the trajectories found, by ``(run_id, item_key)``."""
    found: dict[tuple[str, str], Trajectories] = {}
    by_run: dict[str, dict[str, Wanted]] = {}
    for row in rows:
        by_run.setdefault(row.run_id, {})[row.item_key] = Wanted(row.session_id, row.source)
    for run_id, wanted in by_run.items():
        for key, trajectories in find_trajectories(store, run_id, wanted).items():
            found[(run_id, key)] = trajectories
    for row in rows:
        seen = found.get((row.run_id, row.item_key))
        text = (seen.title or seen.opening) if seen else ""
        if not text:
            text = f"session {row.session_id}"
        row.title = text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"
    return found


def _kept(
    cache: ReviewCache | None,
    key: tuple[str, str],
    stamp: Callable[[Store, str], Hashable],
    store: Store,
    run_id: str,
    make: Callable[[Store, str], T],
) -> T:
    """``make(store, run_id)``, kept in ``cache`` (when given) for the run's ``stamp``."""
    if cache is None:
        return make(store, run_id)
    return cache.get_or_make(key, stamp(store, run_id), partial(make, store, run_id))


def _run_rows(store: Store, run_id: str) -> list[QueueRow]:
    """The run's escalated sessions, then those a sampling policy put up for review, as rows.

    Labels and priority are set per request. A sampled session that is not escalated (a
    passing one drawn at random, the first sessions of a new model) has the cause
    ``sampled_<reason>``.
    """
    facets = store.artifact_facets(run_id)
    rows: list[QueueRow] = []
    sampled = {s.item_key: s.reason for s in store.review_samples(run_id)}
    escalated = list(store.iter_items(run_id, escalated_only=True))
    seen = {item.item_key for item in escalated}
    extra = [store.get_item(run_id, key) for key in sampled if key not in seen]
    for item in [*escalated, *(i for i in extra if i is not None)]:
        result = item.result
        if result is None:
            continue
        model, persona = facets.get(item.item_key, (None, None))
        failures = sorted(result.failures, key=lambda f: -_rank(f.severity))
        codes = [r.code for r in result.escalation_reasons]
        rows.append(
            QueueRow(
                run_id=run_id, item_key=item.item_key, session_id=result.session_id,
                condition=result.condition, model=model, persona=persona,
                domain=(result.domain or None), severity=result.severity,
                fidelity=result.pedagogical_fidelity_score,
                failures=[f.name for f in failures],
                reasons=[r.message for r in result.escalation_reasons],
                cause=cause_of(result.failures, result.escalation_reasons)
                if result.escalate or item.item_key not in sampled
                else f"sampled_{sampled[item.item_key]}",
                disagreement="judge_disagreement" in codes, labels=0, source=item.source,
                seq=item.seq,
            )
        )  # fmt: skip
    return rows


def _priorities(store: Store, run_id: str) -> dict[str, float]:
    """Each escalated item's ``next`` priority: its best (item, dimension) not labelled yet."""
    results: list[tuple[str, EvalResult]] = []
    item_ids: dict[str, str] = {}
    for item in store.iter_items(run_id, escalated_only=True):
        result = item.result
        if result is not None:
            results.append((item.item_key, result))
            logged = result.condition in (None, "human")
            item_ids[item.item_key] = result.session_id if logged else item.item_key
    done = {(label.item_id, label.dimension) for label in store.labels.current(run_id)}
    votes = (Vote(run_id, p) for p in predictions_from_results(results, run_id))
    best: dict[str, float] = {}
    for candidate in rank_items(votes, done):
        best[candidate.item_id] = max(best.get(candidate.item_id, 0.0), candidate.priority)
    return {key: best.get(item_id, 0.0) for key, item_id in item_ids.items()}


def _values(row: QueueRow, name: str) -> list[str | None]:
    if name == "failure":
        return list(row.failures)
    value: str | None = getattr(row, name)
    return [value]


def _passes(row: QueueRow, query: QueueQuery) -> bool:
    for name in FILTERS:
        wanted = getattr(query, name)
        if wanted is not None and wanted not in _values(row, name):
            return False
    if query.disagreement is not None and row.disagreement != query.disagreement:
        return False
    if query.label == "labelled" and not row.labels:
        return False
    return not (query.label == "unlabelled" and row.labels)


def _rank(severity: str | None) -> int:
    return SEVERITY_ORDER.get(severity or "", 0)
