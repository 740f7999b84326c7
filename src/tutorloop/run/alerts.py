"""Alert rules over watched sessions: evaluated on the current window, raised once per episode.

:func:`current_drift` compares the current window with the baseline (:mod:`tutorloop.analyse`'s
drift); :func:`evaluate_rules` says which rules fire. :class:`AlertDesk` keeps the episodes in
the store: an episode opens (once, whichever process sees it first) when its rule fires and
closes when the rule clears on a window that could be judged; opening one queues its webhook
delivery in the same transaction, and :mod:`.webhook` delivers what is due, with backoff.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tutorloop.analyse import DriftReport, compare_windows, metric_value, pick_windows
from tutorloop.run.watch_config import AlertRule, DriftConfig, WatchConfig
from tutorloop.run.webhook import Webhook
from tutorloop.store import Store, WatchRow

__all__ = ["AlertDesk", "Firing", "current_drift", "evaluate_rules"]

log = logging.getLogger("tutorloop.watch")


@dataclass(frozen=True)
class Firing:
    """A rule that fires now: the value that made it fire, and where."""

    rule: AlertRule
    value: float
    segment: str | None
    detail: dict[str, Any]


def current_drift(store: Store, config: DriftConfig) -> tuple[DriftReport, list[WatchRow]]:
    """The drift of the current window against the baseline, and the current window's rows."""
    span = store.watch.span()
    if span is None:
        return DriftReport(None, None, reason="no session watched yet"), []
    picked = pick_windows(span[0], span[1], config.window, config.baseline)
    if isinstance(picked, str):
        current = store.watch.rows(span[1] - config.window, span[1] + 1e-9)
        return DriftReport(None, None, current_n=len(current), reason=picked), current
    base, cur = picked
    baseline = store.watch.rows(base.start, base.end)
    current = store.watch.rows(cur.start, cur.end)
    report = compare_windows(
        baseline,
        current,
        splits=config.splits,
        alpha=config.alpha,
        correction=config.correction,
        min_count=config.min_count,
        windows=(base, cur),
    )
    return report, current


def evaluate_rules(
    rules: list[AlertRule], report: DriftReport, current: list[WatchRow], min_count: int
) -> tuple[list[Firing], set[str]]:
    """The rules that fire, and the names of the rules that could be judged at all."""
    firing: list[Firing] = []
    detail: dict[str, Any]
    judged: set[str] = set()
    for rule in rules:
        if rule.kind == "threshold":
            groups = _groups(current, rule.split)
            for segment, rows in groups.items():
                value = metric_value(rows, rule.metric)
                if value is None or value.n < min_count:
                    continue
                judged.add(rule.name)
                past = value.value > rule.threshold if rule.above else value.value < rule.threshold  # type: ignore[operator]
                if past:
                    detail = {"n": value.n, "low": value.low, "high": value.high}
                    firing.append(Firing(rule, value.value, segment, detail))
                    break
            continue
        if not report.compared:
            continue
        judged.add(rule.name)
        for test in report.tests:
            if test.metric != rule.metric or test.split != rule.split:
                continue
            if not test.significant or abs(test.difference) < rule.min_effect:
                continue
            if rule.direction == "worse" and not test.worse:
                continue
            detail = {
                "baseline": test.baseline.value,
                "baseline_n": test.baseline.n,
                "current_n": test.current.n,
                "difference": test.difference,
                "difference_interval": [test.diff_low, test.diff_high],
                "effect": test.effect,
                "test": test.test,
                "p_value": test.p_value,
                "p_adjusted": test.p_adjusted,
            }
            firing.append(Firing(rule, test.current.value, test.segment, detail))
            break
    return firing, judged


def _groups(rows: list[WatchRow], split: str | None) -> dict[str | None, list[WatchRow]]:
    if split is None:
        return {None: rows}
    groups: dict[str | None, list[WatchRow]] = {}
    for row in rows:
        value = getattr(row, split)
        if value is not None:
            groups.setdefault(str(value), []).append(row)
    return groups


class AlertDesk:
    """Evaluates the rules and keeps one episode per firing; delivers the webhook's alerts."""

    def __init__(self, store: Store, config: WatchConfig) -> None:
        self.store = store
        self.config = config
        self.webhook = Webhook(config.webhook) if config.webhook else None

    def evaluate(self, now: float | None = None) -> list[Firing]:
        """Open an episode for each rule that fires anew, close those that cleared."""
        rules = self.config.alerts
        if not rules:
            return []
        now = time.time() if now is None else now
        report, current = current_drift(self.store, self.config.drift)
        firing, judged = evaluate_rules(rules, report, current, self.config.drift.min_count)
        urls = [self.config.webhook.url] if self.config.webhook else []
        fired = {f.rule.name for f in firing}
        for found in firing:
            event = _event(found, report)
            opened = self.store.watch.open_episode(found.rule.name, event, urls, now)
            if opened is not None:
                log.warning("alert %s: %s", found.rule.name, event["summary"])
        for rule in rules:
            if rule.name in judged and rule.name not in fired:
                self.store.watch.close_episode(rule.name)
        return firing

    def tick(self) -> None:
        """Evaluate the rules, then deliver the alerts that are due (never raises)."""
        try:
            self.evaluate()
        except Exception:  # a tick must never stop the watcher
            log.exception("evaluating the alert rules failed")
        self.deliver()

    def deliver(self) -> None:
        """Deliver the webhook alerts that are due (never raises)."""
        if self.webhook is None:
            return
        try:
            self.webhook.deliver_due(self.store)
        except Exception:  # the delivery stays pending; a tick must never stop the caller
            log.exception("delivering alerts failed")


def _event(found: Firing, report: DriftReport) -> dict[str, Any]:
    rule = found.rule
    where = f" ({rule.split}={found.segment})" if found.segment else ""
    if rule.kind == "threshold":
        side = "above" if rule.above else "below"
        summary = f"{rule.metric}{where} is {found.value:.3f}, {side} {rule.threshold}"
    else:
        summary = (
            f"{rule.metric}{where} drifted to {found.value:.3f} from "
            f"{found.detail['baseline']:.3f} (p={found.detail['p_adjusted']:.2g})"
        )
    window = report.current
    return {
        "rule": rule.name,
        "metric": rule.metric,
        "kind": rule.kind,
        "split": rule.split,
        "segment": found.segment,
        "value": found.value,
        "summary": summary,
        "detail": found.detail,
        "window": None
        if window is None
        else {"start": _iso(window.start), "end": _iso(window.end)},
        "window_end": None if window is None else window.end,
        "raised_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
