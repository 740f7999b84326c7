"""Trajectories of graded items, looked up by item key: in the run's replays, else in its files.

A replay run stores each replay (original and regenerated trajectory) beside its grade. A run
graded from files or requests keeps the record of each escalated session with its grades; for
the others (and stores written before records were kept) the ``path`` or ``path:line`` each
session came from is read back, each file once, and only the wanted records of a JSONL file
are parsed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tutorloop.records import ReplayArtifact, Session, Turn
from tutorloop.store import Store


@dataclass(frozen=True, slots=True)
class Trajectories:
    """What was said in one graded item: the original and the graded (regenerated) turns."""

    original: list[Turn] | None
    """The logged session, when the graded turns are a regeneration of it."""
    graded: list[Turn]
    """The turns the checks were run on (the evidence offsets point into these)."""
    origin: str
    """Where they were found, said plainly."""
    title: str | None = None
    """The session's own title, when its file gave one."""

    @property
    def opening(self) -> str:
        """The session's first learner line (else its first line), for lists of sessions."""
        turns = self.original or self.graded
        first = next((t for t in turns if t.role == "user"), turns[0] if turns else None)
        return "" if first is None else " ".join(first.content.split())


@dataclass(frozen=True, slots=True)
class Wanted:
    """An item whose trajectory is needed: its session id and recorded source."""

    session_id: str
    source: str | None


def find_trajectories(
    store: Store, run_id: str, wanted: Mapping[str, Wanted]
) -> dict[str, Trajectories]:
    """Trajectories of the ``wanted`` item keys that can be found (the others are left out)."""
    found: dict[str, Trajectories] = {}
    if not wanted:
        return found
    for stored in store.get_artifacts(run_id, list(wanted)):
        if stored.item_key not in found:
            artifact = stored.artifact  # parsed only for the wanted keys
            if artifact is not None:
                found[stored.item_key] = _of_artifact(artifact, f"replay in run {run_id}")
    rest = [key for key in wanted if key not in found]
    for key, kept in store.item_records(run_id, rest).items():
        found[key] = _of_record(kept, f"kept in the store with run {run_id}'s grades")
    by_file: dict[Path, dict[int | None, list[str]]] = defaultdict(lambda: defaultdict(list))
    for key, item in wanted.items():
        if key not in found and item.source and (place := _place(item.source)):
            by_file[place[0]][place[1]].append(key)
    for path, lines in by_file.items():
        for line, record in _read(path, set(lines)).items():
            for key in lines[line]:
                if record.session_id != wanted[key].session_id:
                    continue  # the file changed since grading: not the graded session
                where = f"{path}:{line}" if line is not None else str(path)
                found[key] = _of_record(record, f"read back from {where}")
    return found


def _of_artifact(artifact: ReplayArtifact, origin: str) -> Trajectories:
    original: list[Turn] | None = artifact.original_trajectory
    if (
        artifact.regeneration_meta.condition == "human"
        or original == artifact.regenerated_trajectory
    ):
        original = None  # the logged tutor was graded as it is: one column says it all
    return Trajectories(original, artifact.regenerated_trajectory, origin)


def _of_record(record: Session | ReplayArtifact, origin: str) -> Trajectories:
    if isinstance(record, ReplayArtifact):
        return _of_artifact(record, origin)
    return Trajectories(None, record.trajectory, origin, record.title)


def _place(source: str) -> tuple[Path, int | None] | None:
    """``path`` → (path, None); ``path:line`` → (path, line); None when no such file."""
    path = Path(source)
    if path.is_file():
        return path, None
    head, _, tail = source.rpartition(":")
    if head and tail.isdigit() and Path(head).is_file():
        return Path(head), int(tail)
    return None


def _read(path: Path, lines: set[int | None]) -> dict[int | None, Session | ReplayArtifact]:
    """The records at ``lines`` of ``path`` (None: the whole file is one record)."""
    records: dict[int | None, Session | ReplayArtifact] = {}
    try:
        if None in lines and (record := _record(path.read_text(encoding="utf-8"))):
            records[None] = record
        numbered = {n for n in lines if n is not None}
        if numbered:
            last = max(numbered)
            with path.open(encoding="utf-8") as handle:
                for number, text in enumerate(handle, start=1):
                    if number in numbered and (record := _record(text)):
                        records[number] = record
                    if number >= last:
                        break
    except (OSError, UnicodeDecodeError):
        pass  # unreadable now: those sessions show their evidence quotes only
    return records


def _record(text: str) -> Session | ReplayArtifact | None:
    try:
        data: Any = json.loads(text)
        if not isinstance(data, dict):
            return None
        if "regenerated_trajectory" in data:
            return ReplayArtifact.model_validate(data)
        return Session.model_validate(data)
    except (ValueError, ValidationError):
        return None
