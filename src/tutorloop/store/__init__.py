"""The embedded SQLite store of runs, items and grades, with atomic files and exports."""

from ..atomic import atomic_path, atomic_write_bytes, atomic_write_text
from .artifacts import ArtifactOutcome, StoredArtifact
from .db import Store, default_store_path
from .export import EXPORT_FORMATS, export_run, write_manifest
from .item import StoredItem
from .migrations import MIGRATIONS, migrate
from .outcome import ItemOutcome

__all__ = [
    "EXPORT_FORMATS",
    "MIGRATIONS",
    "ArtifactOutcome",
    "ItemOutcome",
    "Store",
    "StoredArtifact",
    "StoredItem",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "default_store_path",
    "export_run",
    "migrate",
    "write_manifest",
]
