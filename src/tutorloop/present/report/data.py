"""Everything the report shows, gathered from the store in a few streaming passes.

Pass 1 summarises the run (``summarize``) while a tally on the same stream counts what the
summary does not keep: the fidelity histogram, check rates by domain and per-condition
dashboard numbers. The A/B comparisons read the store again through ``compare_results`` (which,
as ``tutorloop compare`` does, keeps a few numbers per paired session), and the escalation queue's
sessions (:mod:`.sessions`) read it once more keeping only the capped queue in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tutorloop.analyse import (
    CheckRate,
    Comparison,
    RunSummary,
    compare_results,
    judge_metrics,
    run_metrics,
    summarize,
)
from tutorloop.bundled import bundled_policy
from tutorloop.errors import ConfigError
from tutorloop.present.report.judge import JudgeSection, judge_section
from tutorloop.present.report.labels import ExtraSection, label_sections
from tutorloop.present.report.sessions import SessionView, by_cause, queue_sessions
from tutorloop.present.report.trend import trend_sections
from tutorloop.pulse import GatePolicy, GateReport, evaluate_gates, load_policy
from tutorloop.records import SEVERITY_ORDER, EvalResult, RunManifest
from tutorloop.store import Store

BINS = 10
"""Fidelity histogram bins of width 0.1 over [0, 1]."""
CONDITION_ORDER = {"human": 0, "base": 1, "overlay": 2}


@dataclass
class Tally:
    """Counts the summary does not keep, taken on the same pass over the run."""

    histogram: dict[str, list[int]] = field(default_factory=dict)
    """Condition → sessions per fidelity bin."""
    domain_checks: dict[str, dict[str, CheckRate]] = field(default_factory=dict)
    """Domain → check → pass/fail/unsure counts."""
    questions: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Condition → sum of questions per tutor turn (divide by the condition's items)."""
    severity: dict[str, str] = field(default_factory=dict)
    """Failure class → its severity (the highest seen)."""
    personas: Mapping[str, str | None] = field(default_factory=dict)
    """Item key → the simulated learner persona of its replay (given before the pass)."""
    persona_checks: dict[str, dict[str, CheckRate]] = field(default_factory=dict)
    """Persona → check → pass/fail/unsure counts (items replayed with a persona)."""

    def observe(
        self, results: Iterable[tuple[str, EvalResult | None]]
    ) -> Iterator[tuple[str, EvalResult | None]]:
        """Pass ``results`` through unchanged, counting each one on the way."""
        for key, result in results:
            if result is not None:
                self._add(result)
                persona = self.personas.get(key)
                if persona:
                    _count(self.persona_checks.setdefault(persona, {}), result)
            yield key, result

    def _add(self, result: EvalResult) -> None:
        condition = result.condition or "-"
        bins = self.histogram.setdefault(condition, [0] * BINS)
        bins[min(int(result.pedagogical_fidelity_score * BINS), BINS - 1)] += 1
        domain = (result.domain or "?").split(".")[0]
        _count(self.domain_checks.setdefault(domain, {}), result)
        self.questions[condition] += result.metrics.get("questions_per_tutor_turn", 0.0)
        for failure in result.failures:
            seen = SEVERITY_ORDER.get(self.severity.get(failure.name, ""), 0)
            if SEVERITY_ORDER.get(failure.severity, 0) > seen:
                self.severity[failure.name] = failure.severity


def _count(checks: dict[str, CheckRate], result: EvalResult) -> None:
    for check in result.checks:
        rate = checks.setdefault(check.name, CheckRate())
        if check.verdict == "unsure":
            rate.unsure += 1
        elif check.passed:
            rate.passed += 1
        else:
            rate.failed += 1


@dataclass
class ReportData:
    """The report's content, ready for the template."""

    manifest: RunManifest
    summary: RunSummary
    tally: Tally
    policy_name: str
    gates: GateReport
    conditions_ab: Comparison | None
    """Base against overlay of this run, when it has both."""
    runs_ab: Comparison | None
    """This run against ``compare`` (another run), when asked."""
    queue: list[SessionView]
    queue_left_out: int
    extra_sections: list[ExtraSection]
    judge: JudgeSection
    """The judge's reviews: agreement per check and each judged session."""

    @property
    def queue_groups(self) -> list[tuple[str, list[SessionView]]]:
        """The queue grouped by cause (in words), most severe cause first."""
        return by_cause(self.queue)

    @property
    def conditions(self) -> list[str]:
        """The run's conditions, human → base → overlay first."""
        return sorted(self.summary.conditions, key=lambda c: (CONDITION_ORDER.get(c, 3), c))

    @property
    def cost_usd(self) -> float | None:
        """What the run's model calls cost, when known (prices were set or a cost recorded)."""
        policy = self.manifest.config.get("policy")
        priced = isinstance(policy, dict) and policy.get("prices_path") is not None
        return self.manifest.cost_usd if priced or self.manifest.cost_usd > 0 else None


@dataclass(frozen=True)
class ReportOptions:
    """What a report reads besides its run, and how much of the review queue it shows."""

    store_path: Path | str | None = None
    """The SQLite store (default: ``$TUTORLOOP_HOME`` or ``./.tutorloop/``)."""
    compare: str | None = None
    """Another run to compare with on the sessions they share: side A (the reference)."""
    policy_path: Path | str | None = None
    """Gate policy YAML (default: the bundled Study Mode policy)."""
    max_sessions: int = 500
    """How many escalated sessions the review queue shows, most severe first."""
    labels_path: Path | str | None = None
    """Human labels (any format ``labels import`` reads): adds agreement and cost sections."""
    trend_since: float | None = None
    """Start of a time range (epoch seconds) whose watched sessions' trend the report shows."""
    trend_until: float | None = None
    """End of that range (a watch run's report shows its own bucket without either)."""
    trend_step: float | None = None
    """Seconds per point of the trend charts."""
    policy: GatePolicy | None = None
    """A gate policy given as an object (e.g. the project config's); wins over ``policy_path``."""


def collect(run_id: str, options: ReportOptions | None = None) -> ReportData:
    """Read run ``run_id`` (and ``options.compare``) from the store into :class:`ReportData`.

    Raises:
        ConfigError: ``max_sessions`` is negative, or the policy file is unusable.
        StoreError: the store cannot be read or a run is unknown.
    """
    opts = options or ReportOptions()
    store_path, compare, policy_path = opts.store_path, opts.compare, opts.policy_path
    max_sessions, labels_path = opts.max_sessions, opts.labels_path
    if max_sessions < 0:
        raise ConfigError(f"must be 0 or more, got {max_sessions}", field="max_sessions")
    policy_file = Path(policy_path) if policy_path is not None else bundled_policy()
    policy = opts.policy or load_policy(policy_file)
    with Store.open(store_path) as store:
        manifest = store.get_run(run_id)
        if compare is not None:
            store.get_run(compare)
        tally = Tally(personas={k: p for k, (_, p) in store.artifact_facets(run_id).items()})
        summary = summarize(
            run_id,
            tally.observe(store.iter_results(run_id)),
            queue_size=max_sessions,
            session_rows=0,
        )
        conditions_ab = None
        if {"base", "overlay"} <= set(summary.conditions):
            conditions_ab = compare_results(
                store.iter_results(run_id, "base"), store.iter_results(run_id, "overlay"),
                label_a="base", label_b="overlay",
            )  # fmt: skip
        runs_ab = None
        if compare is not None:
            runs_ab = compare_results(
                store.iter_results(compare), store.iter_results(run_id),
                label_a=compare, label_b=run_id,
            )  # fmt: skip
        queue = queue_sessions(store, run_id, summary.queue)
        extra = label_sections(store, run_id, labels_path)
        judge = judge_section(store, run_id)
        extra += trend_sections(store, manifest, opts.trend_since, opts.trend_until,
                                opts.trend_step)  # fmt: skip
    metrics = run_metrics(summary, conditions_ab)
    metrics.update(judge_metrics(judge.agreement, summary.items))
    gates = evaluate_gates(policy, metrics, run_status=manifest.status)
    return ReportData(
        manifest=manifest,
        summary=summary,
        tally=tally,
        policy_name=(
            "the project config's policy"
            if opts.policy is not None
            else "bundled Study Mode policy"
            if policy_path is None
            else str(policy_file)
        ),
        gates=gates,
        conditions_ab=conditions_ab,
        runs_ab=runs_ab,
        queue=queue,
        queue_left_out=summary.escalated - len(summary.queue),
        extra_sections=extra,
        judge=judge,
    )
