"""Check inputs without grading them: every problem of every file in one pass."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tutorloop.errors import Problem
from tutorloop.load.items import Item, Skipped
from tutorloop.load.sessions import iter_loaded


@dataclass
class ValidationReport:
    """What :func:`validate_paths` found."""

    items: int = 0
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems and not self.duplicates


def validate_paths(paths: Iterable[str | Path], *, fmt: str | None = None) -> ValidationReport:
    """Load every record in ``paths`` and gather all problems, including duplicate keys.

    Each file's format is detected unless ``fmt`` names one (see :func:`iter_loaded`).
    """
    report = ValidationReport()
    seen: dict[str, str] = {}
    for loaded in iter_loaded(paths, fmt=fmt):
        if isinstance(loaded, Item):
            report.items += 1
            first = seen.setdefault(loaded.key, loaded.origin)
            if first != loaded.origin:
                report.duplicates.append(
                    Problem(
                        loaded.origin,
                        f"duplicate session '{loaded.key}' (first seen in {first})",
                        field="session_id",
                        hint="session ids must be unique within one run",
                    )
                )
        elif isinstance(loaded, Skipped):
            report.skipped.append(loaded)
        else:
            report.problems.append(loaded)
    return report
