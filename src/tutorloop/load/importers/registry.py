"""The log formats tutorloop reads, by name: its own sessions and one importer per format."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path

from tutorloop.errors import ConfigError, Problem
from tutorloop.load.importers.assemble import Imported
from tutorloop.load.importers.base import Importer
from tutorloop.load.importers.csv_turns import CsvTurns
from tutorloop.load.importers.langfuse import Langfuse
from tutorloop.load.importers.langsmith import LangSmith
from tutorloop.load.importers.messages import DEFAULT_DOMAIN
from tutorloop.load.importers.openai_chat import OpenAIChat
from tutorloop.load.importers.openai_responses import OpenAIResponses
from tutorloop.load.importers.otel import OTel

NATIVE = "tutorloop"
"""tutorloop's own session and replay-artifact files, read by the session loader."""
IMPORTERS: tuple[Importer, ...] = (
    OpenAIResponses(),
    OpenAIChat(),
    Langfuse(),
    LangSmith(),
    OTel(),
    CsvTurns(),
)
"""Every importer, in the order detection tries them (the most specific first)."""
LOG_FORMATS: tuple[str, ...] = (NATIVE, *(i.name for i in IMPORTERS))
"""Every format name ``--format`` takes."""


def importer_for(name: str) -> Importer | None:
    """The importer of format ``name`` (None for :data:`NATIVE`); an error names the choices."""
    if name == NATIVE:
        return None
    for importer in IMPORTERS:
        if importer.name == name:
            return importer
    close = difflib.get_close_matches(name, LOG_FORMATS, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise ConfigError(
        f"unknown log format '{name}'{hint} (choose from {', '.join(LOG_FORMATS)})",
        field="--format",
    )


def check_format(name: str | None) -> None:
    """Raise a :class:`ConfigError` unless ``name`` is None or a known format."""
    if name is not None:
        importer_for(name)


def read_log(
    path: str | Path, name: str, domain: str = DEFAULT_DOMAIN
) -> Iterator[Imported | Problem]:
    """Every session of the log file ``path`` read as format ``name`` (not :data:`NATIVE`)."""
    importer = importer_for(name)
    if importer is None:
        raise ValueError("the native format is read by the session loader")
    yield from importer.read(Path(path), domain)
