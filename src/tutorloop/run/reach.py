"""Whether a run's judge and model graders reached their models at all.

A run whose judge (or a model grader) never got one answer, every call failing to connect,
timing out or being refused its key, has not graded what it was asked to: the heuristic results
are stored, but the run is not a success (:class:`~tutorloop.errors.ModelsUnreachable`, exit 4).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

from tutorloop.errors import ModelsUnreachable
from tutorloop.records import GraderError

__all__ = ["ModelReach", "is_unreachable"]

_AUTH = ("HTTP 401", "HTTP 403")


def is_unreachable(error: GraderError) -> bool:
    """True for an error that says the model was never reached: connection, timeout or auth."""
    if error.type == "ProviderTimeout":
        return True
    if error.type == "ProviderUnavailable":
        text = error.message.lower()
        return "connection refused" in text or "connection failed" in text
    if error.type == "ProviderRequestError":
        return error.message.startswith(_AUTH)
    return False


class ModelReach:
    """Per judge or grader: how many of its calls were answered, how many never reached it."""

    def __init__(self) -> None:
        self._answered: Counter[str] = Counter()
        self._unreached: Counter[str] = Counter()
        self._cause: dict[str, str] = {}
        self._lock = threading.Lock()

    def note(self, who: str, error: GraderError | None) -> None:
        """Record one outcome of ``who`` (``judge provider/model`` or ``grader NAME``)."""
        with self._lock:
            if error is None or not is_unreachable(error):
                self._answered[who] += 1
                return
            self._unreached[who] += 1
            self._cause[who] = error.message

    def note_all(self, outcomes: Iterable[tuple[str, GraderError | None]]) -> None:
        """Record several outcomes."""
        for who, error in outcomes:
            self.note(who, error)

    def never_reached(self) -> dict[str, str]:
        """Each judge or grader that was called and never reached, with its last cause."""
        with self._lock:
            return {
                who: self._cause[who] for who in sorted(self._unreached) if self._answered[who] == 0
            }

    def check(self, run_id: str) -> None:
        """Raise when a judge or grader never reached its model.

        Raises:
            ModelsUnreachable: names each judge or grader, how often it was called, and why.
        """
        lost = self.never_reached()
        if not lost:
            return
        lines = "; ".join(
            f"{who}: all {self._unreached[who]} call(s) failed, the last with: {cause}"
            for who, cause in lost.items()
        )
        raise ModelsUnreachable(
            f"{lines}. Run {run_id} is stored without those grades (it is marked failed). "
            "Check the model name, --base-url and the API key, start the server if it is "
            "local, then grade again under a new run id."
        )
