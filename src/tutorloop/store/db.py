"""The embedded SQLite store: runs, their items (each row is a done-mark) and their grades.

The store file also holds the replay artifacts and the OpenAI-Evals-compatible API's objects
(:attr:`Store.evals_api`); one :class:`Store` is the process's one connection to it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from types import TracebackType

from tutorloop.errors import ConfigError, StoreError
from tutorloop.records import (
    EvalResult,
    Grade,
    ReplayArtifact,
    RunCounts,
    RunManifest,
    RunStatus,
    Session,
)
from tutorloop.store._rows import (
    GRADE_ROWS,
    INSERT_RUN,
    ITEM_COLUMNS,
    UPDATE_RUN,
    GradeParser,
    insert_outcomes,
    names_query,
    names_scan,
    parse_manifest,
    parse_record,
    run_row,
    update_run_row,
)
from tutorloop.store._sqlite import INTEGRITY, Database, explain
from tutorloop.store.artifacts import (
    ArtifactOutcome,
    StoredArtifact,
    artifact_facets,
    artifact_keys,
    count_artifacts,
    insert_artifact,
    iter_artifacts,
    some_artifacts,
)
from tutorloop.store.evals_api import EvalsApiTables
from tutorloop.store.item import StoredItem
from tutorloop.store.judge import JudgeCheckCounts, count_judge_checks
from tutorloop.store.labels import LabelTable
from tutorloop.store.migrations import migrate
from tutorloop.store.outcome import EncodedOutcome, ItemOutcome
from tutorloop.store.watch import ReviewSample, WatchTables

__all__ = ["Store", "default_store_path"]


def default_store_path() -> Path:
    """``$TUTORLOOP_HOME/tutorloop.db`` when that is set, else ``./.tutorloop/tutorloop.db``."""
    home = os.environ.get("TUTORLOOP_HOME")
    if home:
        return Path(home).expanduser() / "tutorloop.db"
    return Path.cwd() / ".tutorloop" / "tutorloop.db"


class Store:
    """One open tutorloop store; use :meth:`open` and close it (or use it as a context manager).

    A Store wraps one ``sqlite3`` connection in autocommit mode; every write is one explicit
    ``BEGIN IMMEDIATE … COMMIT``. Threads may share it: each use holds the store's lock, so
    one store is all a process (the service's routes, its runs and its worker threads) needs.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._db = Database(conn, path)
        self._conn = conn
        self._path = path

    @classmethod
    def open(cls, path: Path | str | None = None) -> Store:
        """Open (creating and migrating as needed) the store at ``path`` or the default path.

        Raises:
            StoreError: the file is not an SQLite database, fails its integrity check
                (``PRAGMA quick_check``, on the first open in a process), is locked, cannot be
                created, or was written by a newer tutorloop.
        """
        target = default_store_path() if path is None else Path(path).expanduser()
        if str(target) != ":memory:":
            if target.is_dir():
                raise StoreError(
                    f"{target} is a directory, not a store file; "
                    f"pass a file path such as {target / 'tutorloop.db'}"
                )
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the store directory {target.parent}: {exc.strerror or exc}; "
                    "set TUTORLOOP_HOME to a writable directory"
                ) from exc
        try:
            conn = sqlite3.connect(
                target, isolation_level=None, timeout=5.0, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(explain(target, "open the store", exc)) from exc
        try:
            _configure(conn)
            if str(target) != ":memory:":
                INTEGRITY.check(conn, target)
            migrate(conn)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(explain(target, "open the store", exc)) from exc
            if isinstance(exc, StoreError):
                raise StoreError(f"{target}: {exc.message}") from exc
            raise
        return cls(conn, target)

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def close(self) -> None:
        """Close the connection; calling it twice is harmless."""
        self._db.close()

    @cached_property
    def evals_api(self) -> EvalsApiTables:
        """The OpenAI-Evals-compatible API's files, evals, runs and output items in this store."""
        return EvalsApiTables(self._db)

    @cached_property
    def labels(self) -> LabelTable:
        """Reviewers' labels on this store's items, with the audit of every write."""
        return LabelTable(self._db)

    @cached_property
    def watch(self) -> WatchTables:
        """What watching production keeps: seen sessions, followed files, review queue, alerts."""
        return WatchTables(self._db)

    def review_samples(self, run_id: str | None = None) -> list[ReviewSample]:
        """The review queue the sampling policy filled (of one run, or of every run)."""
        return self.watch.review_samples(run_id)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # runs

    def start_run(self, manifest: RunManifest) -> RunManifest:
        """Insert a new run, or resume a stored one: its stored manifest, status ``running``."""
        with self._db.write("start the run") as conn:
            stored = self._find(conn, manifest.run_id)
            if stored is None:
                conn.execute(INSERT_RUN, run_row(manifest))
                return manifest
            resumed = stored.model_copy(update={"status": "running", "finished_at": None})
            self._put_manifest(conn, resumed)
            return resumed

    def get_run(self, run_id: str) -> RunManifest:
        """The manifest of run ``run_id``.

        Raises:
            StoreError: no such run (the message lists a few known run ids).
        """
        with self._db.read("read the run") as conn:
            stored = self._find(conn, run_id)
            if stored is None:
                raise self._unknown_run(run_id)
        return stored

    def list_runs(self) -> list[RunManifest]:
        """Every run's manifest, newest first."""
        with self._db.read("list the runs") as conn:
            rows = conn.execute(
                "SELECT run_id, manifest_json FROM runs ORDER BY created_at DESC, rowid DESC"
            ).fetchall()
        return [parse_manifest(text, run_id) for run_id, text in rows]

    def update_manifest(self, manifest: RunManifest) -> None:
        """Replace the stored manifest of ``manifest.run_id``.

        Raises:
            StoreError: no such run.
        """
        with self._db.write("update the run") as conn:
            self._put_manifest(conn, manifest)

    def finish_run(
        self, run_id: str, status: RunStatus, counts: RunCounts, finished_at: str
    ) -> RunManifest:
        """Record the end of a run (its status, counts and time); return the new manifest.

        Raises:
            StoreError: no such run.
        """
        with self._db.write("finish the run") as conn:
            stored = self._find(conn, run_id)
            if stored is None:
                raise self._unknown_run(run_id)
            data = stored.model_dump()
            data.update(status=status, counts=counts.model_dump(), finished_at=finished_at)
            finished = RunManifest.model_validate(data)
            self._put_manifest(conn, finished)
        return finished

    @staticmethod
    def _find(conn: sqlite3.Connection, run_id: str) -> RunManifest | None:
        row = conn.execute("SELECT manifest_json FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else parse_manifest(row[0], run_id)

    def _put_manifest(self, conn: sqlite3.Connection, manifest: RunManifest) -> None:
        if conn.execute(UPDATE_RUN, update_run_row(manifest)).rowcount != 1:
            raise self._unknown_run(manifest.run_id)

    def _unknown_run(self, run_id: str) -> StoreError:
        with self._db.read("list the runs") as conn:
            rows = conn.execute(
                "SELECT run_id FROM runs ORDER BY created_at DESC, rowid DESC LIMIT 6"
            ).fetchall()
        if not rows:
            return StoreError(
                f"no run {run_id!r} in {self._path}: the store has no runs; check that "
                "TUTORLOOP_HOME (or the store path) points at the store you graded into"
            )
        known = ", ".join(row[0] for row in rows[:5]) + (", …" if len(rows) > 5 else "")
        return StoreError(
            f"no run {run_id!r} in {self._path}; known runs, newest first: {known}. "
            "Use one of these ids, or check that TUTORLOOP_HOME points at the right store"
        )

    # items and grades

    def done_keys(self, run_id: str) -> set[str]:
        """Keys of the items already stored for ``run_id`` (done or errored): skip these."""
        with self._db.read("read the done items") as conn:
            cursor = conn.execute("SELECT item_key FROM items WHERE run_id = ?", (run_id,))
            return {row[0] for row in cursor}

    def judge_counts(self, run_id: str | None = None) -> list[JudgeCheckCounts]:
        """Heuristic–judge agreement counts per heuristics version and check (a run, or all)."""
        with self._db.read("read the judge's reviews") as conn:
            return count_judge_checks(conn, run_id)

    def write_outcomes(self, run_id: str, outcomes: Sequence[ItemOutcome | EncodedOutcome]) -> int:
        """Store a batch of items with their grades in ONE transaction; return how many are new.

        Items whose key is already stored for the run are skipped with their grades, so
        writing a batch twice stores nothing twice. An outcome may come already encoded
        (:func:`tutorloop.store.encode_outcome`).

        Raises:
            StoreError: the run does not exist, a grade does not belong to its item, one
                item has two grades from the same grader, or an outcome was encoded for
                another run (nothing of the batch is stored).
        """
        if not outcomes:
            return 0
        with self._db.write("write results") as conn:
            inserted = insert_outcomes(conn, run_id, outcomes)
            if inserted is None:
                raise self._unknown_run(run_id)
        return inserted

    def item_sources(self, run_id: str, keys: Sequence[str]) -> dict[str, str | None]:
        """Where each of ``keys`` that is stored for the run came from (its ``source``)."""
        found: dict[str, str | None] = {}
        with self._db.read("read item sources") as conn:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                sql = "SELECT item_key, source FROM items WHERE run_id = ? "
                sql += f"AND item_key IN ({marks})"
                rows = conn.execute(sql, (run_id, *chunk))
                found.update({key: source for key, source in rows})
        return found

    def item_records(self, run_id: str, keys: Sequence[str]) -> dict[str, Session | ReplayArtifact]:
        """The graded records kept for reviewers (escalated or sampled items) among ``keys``.

        A record this tutorloop cannot read (written by a newer one) is left out.
        """
        found: dict[str, Session | ReplayArtifact] = {}
        wanted = list(dict.fromkeys(keys))
        with self._db.read("read item records") as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT item_key, record_json FROM item_records "
                    f"WHERE run_id = ? AND item_key IN ({marks})",
                    (run_id, *chunk),
                )
                for key, text in rows:
                    record = parse_record(text)
                    if record is not None:
                        found[str(key)] = record
        return found

    # replay artifacts

    def write_artifact(self, run_id: str, outcome: ArtifactOutcome) -> bool:
        """Store one replay with its done-mark in one transaction; False if already stored."""
        with self._db.write("write a replay artifact") as conn:
            return insert_artifact(conn, run_id, outcome)

    def write_artifacts(self, run_id: str, outcomes: Sequence[ArtifactOutcome]) -> list[bool]:
        """Store replays with their done-marks in one transaction; False where already stored."""
        if not outcomes:
            return []
        with self._db.write("write replay artifacts") as conn:
            return [insert_artifact(conn, run_id, outcome) for outcome in outcomes]

    def artifact_keys(self, run_id: str) -> set[str]:
        """Keys of the replays already stored for ``run_id``: skip these when resuming."""
        with self._db.read("read the replayed items") as conn:
            return artifact_keys(conn, run_id)

    def iter_artifacts(self, run_id: str) -> Iterator[StoredArtifact]:
        """The run's replays in the order they finished, streamed."""
        return iter_artifacts(self._db, run_id)

    def get_artifacts(self, run_id: str, keys: Sequence[str]) -> list[StoredArtifact]:
        """The run's stored replays of ``keys`` (those it has), read by key."""
        with self._db.read("read replay artifacts") as conn:
            return some_artifacts(conn, run_id, list(dict.fromkeys(keys)))

    def artifact_facets(self, run_id: str) -> dict[str, tuple[str | None, str | None]]:
        """``item_key → (model, persona)`` of the run's replays, without parsing them."""
        with self._db.read("read the replays' models") as conn:
            return artifact_facets(conn, run_id)

    def count_artifacts(self, run_id: str) -> RunCounts:
        """Counts of the stored replays: all, done and errored."""
        with self._db.read("count the replays") as conn:
            done, errored = count_artifacts(conn, run_id)
        return RunCounts(items=done + errored, done=done, errored=errored)

    def count_items(self, run_id: str) -> RunCounts:
        """Counts of the stored items: all, done, errored and escalated (zeros if none)."""
        with self._db.read("count the items") as conn:
            row = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(status = 'done'), 0), "
                "COALESCE(SUM(status = 'error'), 0), COALESCE(SUM(escalate = 1), 0) "
                "FROM items WHERE run_id = ?",
                (run_id,),
            ).fetchone()
        return RunCounts(items=row[0], done=row[1], errored=row[2], escalated=row[3])

    def iter_results(
        self, run_id: str, condition: str | None = None
    ) -> Iterator[tuple[str, EvalResult | None]]:
        """``(item_key, result or None when errored)`` of the run, one condition or all."""
        for item in self.iter_items(run_id):
            if condition is None or item.condition == condition:
                yield item.item_key, item.result

    def iter_items(
        self, run_id: str, batch_size: int = 1000, *, escalated_only: bool = False
    ) -> Iterator[StoredItem]:
        """Stream the run's items in the order they were stored, ``batch_size`` rows at a time.

        ``escalated_only`` keeps the escalated items (the review queue's), read by index.

        Raises:
            ConfigError: ``batch_size`` is below 1.
        """
        _check_batch_size(batch_size)
        where = "run_id = ? AND escalate = 1" if escalated_only else "run_id = ?"
        return self._db.stream(
            "read the run",
            f"SELECT {ITEM_COLUMNS} FROM items WHERE {where} ORDER BY seq",
            (run_id,),
            batch_size,
            lambda row: StoredItem(*row),
        )

    def get_item(self, run_id: str, item_key: str) -> StoredItem | None:
        """The stored item ``item_key`` of run ``run_id``, or None when there is none."""
        with self._db.read("read an item") as conn:
            row = conn.execute(
                f"SELECT {ITEM_COLUMNS} FROM items WHERE run_id = ? AND item_key = ?",
                (run_id, item_key),
            ).fetchone()
        return None if row is None else StoredItem(*row)

    def iter_grades(self, run_id: str, batch_size: int = 1000) -> Iterator[Grade]:
        """Stream the run's grades, in item order and then by grader name.

        Raises:
            ConfigError: ``batch_size`` is below 1.
        """
        _check_batch_size(batch_size)
        return self._db.stream(
            "read the run", GRADE_ROWS, (run_id,), batch_size, GradeParser(run_id)
        )

    def check_names(self, run_id: str) -> list[str]:
        """Names of the checks in the run's results, roughly in order of first appearance."""
        return self._result_names(run_id, "checks")

    def grader_names(self, run_id: str) -> list[str]:
        """Names of the testing-criteria and learned graders in the run's results."""
        return self._result_names(run_id, "graders")

    def _result_names(self, run_id: str, array: str) -> list[str]:
        with self._db.read(f"list the {array[:-1]} names") as conn:
            try:
                return [row[0] for row in conn.execute(names_query(array), (run_id,))]
            except sqlite3.OperationalError:  # an SQLite built without JSON functions
                return names_scan(conn, run_id, array)


def _configure(conn: sqlite3.Connection) -> None:
    """WAL (readers never block the writer), NORMAL sync, a 5 s lock wait, foreign keys.

    A new store gets 16 KiB pages: an item's result (about 5 KB) then fits in its row instead
    of spilling to overflow pages, which makes writing a graded session about 15 % cheaper
    for files about 15 % larger; a store created with smaller pages keeps them.

    NORMAL with WAL syncs at checkpoints, not at each commit: a committed transaction is in
    the WAL file before ``COMMIT`` returns, so a killed process (kill -9) loses nothing that
    was reported written; only a power cut may lose the last commits (never corrupting the
    file). A grading run writes about 10 KB per session: the WAL is folded into the database
    every 2,048 pages (32 MiB with 16 KiB pages, not SQLite's default 4 MiB), so the pages
    every batch touches (index and table tails) are copied and synced less often, and the WAL
    is cut back to 32 MiB after each checkpoint.
    """
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 2048")
    conn.execute("PRAGMA journal_size_limit = 33554432").fetchone()
    conn.execute("PRAGMA foreign_keys = ON")


def _check_batch_size(batch_size: int) -> None:
    if batch_size < 1:
        raise ConfigError(f"must be at least 1, got {batch_size}", field="batch_size")
