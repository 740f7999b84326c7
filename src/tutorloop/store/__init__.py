"""The only owner of SQLite: runs, items, grades, replays, API objects, alignment runs, calls.

Each result is written with its done-mark in one transaction. Also: atomic files and exports.
"""

from tutorloop.atomic import atomic_path, atomic_write_bytes, atomic_write_text

from ._rows import encode_outcome
from .align import AlignStore, flatten_row
from .artifacts import ArtifactOutcome, StoredArtifact
from .calls import CallStore, LedgerStats
from .db import Store, default_store_path
from .evals_api import EvalsApiTables
from .export import EXPORT_FORMATS, export_run, write_manifest
from .item import StoredItem
from .judge import JudgeCheckCounts
from .labels import LabelTable, UnknownItem
from .migrations import MIGRATIONS, migrate
from .outcome import EncodedOutcome, ItemOutcome
from .watch import (
    AlertDelivery,
    AlertEpisode,
    FileOffset,
    ReviewSample,
    Watched,
    WatchRow,
    WatchTables,
)

__all__ = [
    "EXPORT_FORMATS",
    "MIGRATIONS",
    "AlertDelivery",
    "AlertEpisode",
    "AlignStore",
    "ArtifactOutcome",
    "CallStore",
    "EncodedOutcome",
    "EvalsApiTables",
    "FileOffset",
    "ItemOutcome",
    "JudgeCheckCounts",
    "LabelTable",
    "LedgerStats",
    "ReviewSample",
    "Store",
    "StoredArtifact",
    "StoredItem",
    "UnknownItem",
    "WatchRow",
    "WatchTables",
    "Watched",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "default_store_path",
    "encode_outcome",
    "export_run",
    "flatten_row",
    "migrate",
    "write_manifest",
]
