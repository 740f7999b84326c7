"""What the verbs accept as input: paths, records in memory, or lists of both.

Records given in memory (sessions, replay artifacts) are written, in the order given, to one
JSONL file beside the store (``inputs/<run id>.jsonl``) and graded or replayed from there like
any other input: the run's manifest names that file, its content hash is the run's dataset hash,
and the HTML report reads the sessions back from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tutorloop.errors import ConfigError
from tutorloop.records import ReplayArtifact, Session
from tutorloop.store import atomic_path, default_store_path

Record = Session | ReplayArtifact
"""A record the verbs take in memory."""
Input = str | Path | Record
"""One input: a file or folder of sessions or artifacts, or a record."""
Inputs = Input | Sequence[Input]
"""What :func:`~tutorloop.grade` and :func:`~tutorloop.replay` read."""


def store_file(store_path: Path | str | None) -> Path:
    """The absolute path of the store a run uses (the default one when none is given).

    Raises:
        ConfigError: an in-memory store: a run object reads its store again later.
    """
    if store_path is not None and str(store_path) == ":memory:":
        raise ConfigError(
            "an in-memory store does not outlive the call; give a file path",
            field="store_path",
        )
    path = default_store_path() if store_path is None else Path(store_path).expanduser()
    return path.absolute()


def input_paths(inputs: Inputs, records_file: Path) -> list[Path]:
    """The paths to load: the paths given, then ``records_file`` holding the records given.

    Raises:
        ConfigError: nothing to read, or an input of an unknown kind.
    """
    given: Sequence[Input] = [inputs] if isinstance(inputs, str | Path | Record) else inputs
    paths: list[Path] = []
    records: list[Record] = []
    for index, entry in enumerate(given):
        if isinstance(entry, str | Path):
            paths.append(Path(entry))
        elif isinstance(entry, Record):
            records.append(entry)
        else:
            raise ConfigError(
                f"input {index} is a {type(entry).__name__}; give a path, a Session or a "
                "ReplayArtifact (or a list of them)",
                field="inputs",
            )
    if not paths and not records:
        raise ConfigError("no input given: pass a path, a record or a list of them", field="inputs")
    if records:
        with atomic_path(records_file) as tmp, tmp.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(record.model_dump_json() + "\n")
        paths.append(records_file)
    return paths
