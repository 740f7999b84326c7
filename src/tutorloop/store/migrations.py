"""SQLite schema migrations: an ordered list of named functions, recorded in ``_migrations``.

Each migration runs with its bookkeeping row in one ``BEGIN IMMEDIATE … COMMIT`` transaction,
so a failure (or a killed process) leaves the schema exactly as it was before it started.
Migrations must only use ``conn.execute`` (``executescript`` would commit half-way).
Append new migrations at the end; never rename, reorder or edit a released one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from tutorloop.errors import StoreError
from tutorloop.store._sqlite import transaction, utc_now

__all__ = ["MIGRATIONS", "Migration", "migrate"]

Migration = Callable[[sqlite3.Connection], None]


def m001_runs_items_grades(conn: sqlite3.Connection) -> None:
    """Create ``runs``, ``items`` (one row per finished item: its done-mark) and ``grades``."""
    conn.execute(
        """
        CREATE TABLE runs (
            run_id        TEXT PRIMARY KEY NOT NULL,
            kind          TEXT,
            status        TEXT,
            created_at    TEXT,
            updated_at    TEXT,
            manifest_json TEXT NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE items (
            run_id        TEXT NOT NULL REFERENCES runs(run_id),
            item_key      TEXT NOT NULL,
            session_id    TEXT,
            condition     TEXT,
            domain        TEXT,
            source        TEXT,
            status        TEXT CHECK (status IN ('done', 'error')),
            fidelity      REAL,
            escalate      INTEGER,
            severity      TEXT,
            result_json   TEXT,
            error_type    TEXT,
            error_message TEXT,
            seq           INTEGER,
            graded_at     TEXT,
            PRIMARY KEY (run_id, item_key)
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE grades (
            run_id         TEXT NOT NULL,
            item_key       TEXT NOT NULL,
            grader         TEXT NOT NULL,
            grader_version TEXT,
            passed         INTEGER,
            verdict        TEXT,
            score          REAL,
            confidence     REAL,
            source         TEXT,
            grade_json     TEXT NOT NULL,
            PRIMARY KEY (run_id, item_key, grader),
            FOREIGN KEY (run_id, item_key) REFERENCES items(run_id, item_key)
        )
        """
    )
    conn.execute("CREATE INDEX items_by_seq ON items(run_id, seq)")
    conn.execute("CREATE INDEX items_by_escalate ON items(run_id, escalate)")
    conn.execute("CREATE INDEX runs_by_created ON runs(created_at)")


def m002_artifacts(conn: sqlite3.Connection) -> None:
    """Create ``artifacts``: one row per replayed session (its done-mark), keyed like items."""
    conn.execute(
        """
        CREATE TABLE artifacts (
            run_id        TEXT NOT NULL REFERENCES runs(run_id),
            item_key      TEXT NOT NULL,
            session_id    TEXT,
            condition     TEXT,
            model         TEXT,
            mode          TEXT,
            persona       TEXT,
            source        TEXT,
            status        TEXT CHECK (status IN ('done', 'error')),
            artifact_json TEXT,
            error_type    TEXT,
            error_message TEXT,
            calls         INTEGER,
            cost_usd      REAL,
            seq           INTEGER,
            created_at    TEXT,
            PRIMARY KEY (run_id, item_key)
        )
        """
    )
    conn.execute("CREATE INDEX artifacts_by_seq ON artifacts(run_id, seq)")


def m003_evals_api(conn: sqlite3.Connection) -> None:
    """Create the tables of the OpenAI-Evals-compatible API: files, evals, runs, output items."""
    conn.execute(
        """
        CREATE TABLE api_files (
            id         TEXT PRIMARY KEY NOT NULL,
            created_at INTEGER NOT NULL,
            object_json TEXT NOT NULL,
            content    BLOB NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE api_evals (
            id          TEXT PRIMARY KEY NOT NULL,
            created_at  INTEGER NOT NULL,
            object_json TEXT NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE api_runs (
            id          TEXT PRIMARY KEY NOT NULL,
            eval_id     TEXT NOT NULL,
            status      TEXT NOT NULL,
            created_at  INTEGER NOT NULL,
            object_json TEXT NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE api_output_items (
            id                 TEXT PRIMARY KEY NOT NULL,
            run_id             TEXT NOT NULL,
            datasource_item_id INTEGER NOT NULL,
            status             TEXT NOT NULL,
            object_json        TEXT NOT NULL,
            UNIQUE (run_id, datasource_item_id)
        )
        """
    )
    conn.execute("CREATE INDEX api_runs_by_eval ON api_runs(eval_id)")
    conn.execute("CREATE INDEX api_runs_by_status ON api_runs(status)")


def m004_labels(conn: sqlite3.Connection) -> None:
    """Create ``labels`` (reviewers' labels on stored items) and ``label_audit`` (every write)."""
    conn.execute(
        """
        CREATE TABLE labels (
            label_id     INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id       TEXT NOT NULL,
            item_key     TEXT NOT NULL,
            dimension    TEXT NOT NULL,
            turn         INTEGER,
            rater        TEXT NOT NULL,
            value        TEXT NOT NULL,
            labelled_at  TEXT NOT NULL,
            label_json   TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX labels_by_item ON labels(run_id, item_key)")
    conn.execute(
        """
        CREATE TABLE label_audit (
            seq       INTEGER PRIMARY KEY AUTOINCREMENT,
            at        TEXT NOT NULL,
            actor     TEXT NOT NULL,
            action    TEXT NOT NULL,
            label_id  INTEGER NOT NULL,
            run_id    TEXT NOT NULL,
            item_key  TEXT NOT NULL
        )
        """
    )


def m005_api_evals_updated_at(conn: sqlite3.Connection) -> None:
    """Give each API eval the time it was last changed, for ``order_by=updated_at``."""
    conn.execute("ALTER TABLE api_evals ADD COLUMN updated_at INTEGER")
    conn.execute("UPDATE api_evals SET updated_at = created_at")


def m006_judge_checks(conn: sqlite3.Connection) -> None:
    """Create the judge's reviews: each judged check beside the heuristics' verdict."""
    conn.execute(
        """
        CREATE TABLE judge_checks (
            run_id            TEXT NOT NULL,
            item_key          TEXT NOT NULL,
            check_name        TEXT NOT NULL,
            heuristic_version TEXT NOT NULL,
            judge_model       TEXT NOT NULL,
            because           TEXT NOT NULL,
            heuristic         TEXT NOT NULL,
            judge             TEXT NOT NULL,
            decided           INTEGER NOT NULL,
            PRIMARY KEY (run_id, item_key, check_name)
        )
        """
    )
    conn.execute("CREATE INDEX judge_checks_by_version ON judge_checks(heuristic_version)")


def m007_item_records(conn: sqlite3.Connection) -> None:
    """Create ``item_records``: the graded session of an escalated item, for its reviewers."""
    conn.execute(
        """
        CREATE TABLE item_records (
            run_id       TEXT NOT NULL,
            item_key     TEXT NOT NULL,
            record_json  TEXT NOT NULL,
            PRIMARY KEY (run_id, item_key)
        )
        """
    )


def m008_watch(conn: sqlite3.Connection) -> None:
    """Create the watch tables: seen sessions, followed files, the review queue and alerts."""
    conn.execute(
        """
        CREATE TABLE watch_sessions (
            item_key    TEXT PRIMARY KEY NOT NULL,
            run_id      TEXT NOT NULL,
            at          REAL NOT NULL,
            arrived_at  REAL NOT NULL,
            model       TEXT,
            overlay     TEXT,
            domain      TEXT,
            persona     TEXT,
            errored     INTEGER NOT NULL,
            escalate    INTEGER,
            fidelity    REAL,
            checks_json TEXT NOT NULL,
            failures_json TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX watch_sessions_by_time ON watch_sessions(at)")
    conn.execute(
        """
        CREATE TABLE watch_files (
            path    TEXT PRIMARY KEY NOT NULL,
            offset  INTEGER NOT NULL,
            line    INTEGER NOT NULL,
            size    INTEGER NOT NULL,
            mtime   REAL NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE review_samples (
            run_id    TEXT NOT NULL,
            item_key  TEXT NOT NULL,
            reason    TEXT NOT NULL,
            at        TEXT NOT NULL,
            PRIMARY KEY (run_id, item_key)
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE alert_episodes (
            episode_id  INTEGER PRIMARY KEY AUTOINCREMENT,
            rule        TEXT NOT NULL,
            opened_at   TEXT NOT NULL,
            closed_at   TEXT,
            event_json  TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX alert_episodes_open ON alert_episodes(rule, closed_at)")
    conn.execute(
        """
        CREATE TABLE alert_deliveries (
            delivery_id   INTEGER PRIMARY KEY AUTOINCREMENT,
            episode_id    INTEGER NOT NULL REFERENCES alert_episodes(episode_id),
            url           TEXT NOT NULL,
            body          TEXT NOT NULL,
            attempts      INTEGER NOT NULL DEFAULT 0,
            next_at       REAL NOT NULL,
            delivered_at  TEXT,
            last_error    TEXT
        )
        """
    )


def m009_check_grades_in_result(conn: sqlite3.Connection) -> None:
    """Grade rows of a result's checks may keep their JSON in the result alone.

    Such a row has its queryable columns and an empty ``grade_json``; its reason and evidence
    are the check's, in the item's ``result_json``. The schema is unchanged (rows written
    before keep their JSON and read as before); recording this migration makes an older
    tutorloop refuse the store instead of failing on those rows.
    """
    conn.execute("SELECT 1 FROM grades LIMIT 1").fetchall()


MIGRATIONS: list[tuple[str, Migration]] = [
    ("m001_runs_items_grades", m001_runs_items_grades),
    ("m002_artifacts", m002_artifacts),
    ("m003_evals_api", m003_evals_api),
    ("m004_labels", m004_labels),
    ("m005_api_evals_updated_at", m005_api_evals_updated_at),
    ("m006_judge_checks", m006_judge_checks),
    ("m007_item_records", m007_item_records),
    ("m008_watch", m008_watch),
    ("m009_check_grades_in_result", m009_check_grades_in_result),
]
"""Every migration this tutorloop knows, in the order they are applied."""

_BOOKKEEPING = "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"


def _applied(conn: sqlite3.Connection) -> list[str]:
    """Names recorded in ``_migrations`` (none when the table does not exist yet)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ).fetchone()
    if exists is None:
        return []
    return [row[0] for row in conn.execute("SELECT name FROM _migrations")]


def migrate(
    conn: sqlite3.Connection, migrations: Sequence[tuple[str, Migration]] = MIGRATIONS
) -> list[str]:
    """Apply the migrations ``conn``'s database lacks, in order; return the names applied.

    Safe to call from several processes at once: each migration re-checks, under the write
    lock, that nobody applied it meanwhile.

    Raises:
        StoreError: the database records a migration this tutorloop does not know (it was
            written by a newer tutorloop), or a migration failed (it was rolled back).
    """
    known = [name for name, _ in migrations]
    applied = set(_applied(conn))
    unknown = sorted(applied.difference(known))
    if unknown:
        raise StoreError(
            f"the store was written by a newer tutorloop (unknown migrations: "
            f"{', '.join(unknown)}); upgrade tutorloop (pip install -U tutorloop) "
            "or use another store path"
        )
    done: list[str] = []
    for name, apply in migrations:
        if name in applied:
            continue  # the common case takes no write lock, so readers never wait on a writer
        try:
            with transaction(conn):
                conn.execute(_BOOKKEEPING)
                if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                    continue
                apply(conn)
                conn.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, utc_now())
                )
        except Exception as exc:
            raise StoreError(
                f"migration {name} failed and was rolled back, the store is unchanged: {exc}; "
                "check free disk space and permissions, then run again"
            ) from exc
        done.append(name)
    return done
