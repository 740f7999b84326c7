"""A damaged store file is refused on open, with what to do, before anything is written."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutorloop.errors import StoreError
from tutorloop.store import Store
from tutorloop.store._sqlite import INTEGRITY


@pytest.fixture(autouse=True)
def _check_every_open():
    INTEGRITY.forget()
    yield
    INTEGRITY.forget()


def sessions(path: Path, count: int) -> Path:
    turns = [
        {"role": "user", "content": "help me with fractions " * 20},
        {"role": "assistant", "content": "What do you already know about fractions? " * 20},
    ]
    rows = [{"session_id": f"s{n}", "domain": "math", "trajectory": turns} for n in range(count)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TUTORLOOP_HOME"}
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def corrupt(db: Path) -> None:
    """Overwrite whole pages in the middle of the file with garbage."""
    size = db.stat().st_size
    page = 4096
    middle = (size // 2) // page * page
    with db.open("r+b") as handle:
        handle.seek(middle)
        handle.write(bytes((n * 37 + 11) % 256 for n in range(page * 2)))


def test_a_corrupt_store_is_refused_with_what_to_do(tmp_path):
    db = tmp_path / "tutorloop.db"
    with Store.open(db) as store:
        conn = store._conn
        conn.execute("CREATE TABLE filler (n INTEGER, body TEXT)")
        conn.executemany("INSERT INTO filler VALUES (?, ?)", [(n, "x" * 500) for n in range(2000)])
    corrupt(db)
    INTEGRITY.forget()
    with pytest.raises(StoreError) as caught:
        Store.open(db)
    message = caught.value.message
    assert str(db) in message and "quick_check" in message
    assert "restore it from a backup" in message and '".recover"' in message
    assert caught.value.exit_code == 3


def test_the_check_runs_once_per_file_per_process(tmp_path, monkeypatch):
    db = tmp_path / "tutorloop.db"
    calls = []
    real = INTEGRITY.check
    monkeypatch.setattr(
        INTEGRITY, "check", lambda conn, path: calls.append(path) or real(conn, path)
    )
    for _ in range(3):
        with Store.open(db):
            pass
    assert len(calls) == 3  # asked every open ...
    assert len(INTEGRITY._done) == 1  # ... but scanned once: the file is remembered


def test_a_new_run_on_a_corrupt_store_exits_3_without_a_traceback(tmp_path):
    data = sessions(tmp_path / "s.jsonl", 300)
    db = tmp_path / "store.db"
    first = cli("grade", str(data), "--store", str(db), "--run-id", "one", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    corrupt(db)
    second = cli("grade", str(data), "--store", str(db), "--run-id", "two", cwd=tmp_path)
    assert second.returncode == 3, second.stdout + second.stderr
    assert "Traceback" not in second.stderr
    text = " ".join(second.stderr.split())
    assert "damaged" in text and '".recover"' in text, text
