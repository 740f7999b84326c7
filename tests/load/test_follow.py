"""Following a folder: appended lines, half-written lines and files, resume, bad input once."""

from __future__ import annotations

import json
from pathlib import Path

from tests.run.watch_data import T0, line, session
from tutorloop.errors import Problem
from tutorloop.load import Follower, Item


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def entries(follower: Follower) -> list[object]:
    return [f.entry for f in follower.poll() if f.entry is not None]


def keys(follower: Follower) -> list[str]:
    return [e.key for e in entries(follower) if isinstance(e, Item)]


def test_new_files_and_appended_lines_are_read_once(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    log.write_text(line(session("s1", T0)) + line(session("s2", T0)))
    follower = Follower(tmp_path, settle=0)
    assert keys(follower) == ["s1", "s2"]
    assert keys(follower) == []
    with log.open("a") as out:
        out.write(line(session("s3", T0)))
    (tmp_path / "b.jsonl").write_text(line(session("s4", T0)))
    assert keys(follower) == ["s3", "s4"]


def test_a_half_written_line_is_read_when_complete(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    text = line(session("s1", T0))
    log.write_text(text[:25])
    clock = Clock()
    follower = Follower(tmp_path, settle=1.0, clock=clock)
    assert entries(follower) == []
    clock.now = 5.0
    assert entries(follower) == []  # settled, but not JSON yet: still waiting, nothing reported
    with log.open("a") as out:
        out.write(text[25:])
    assert keys(follower) == ["s1"]


def test_an_unterminated_last_line_is_read_once_it_settles(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps(session("s1", T0)))
    clock = Clock()
    follower = Follower(tmp_path, settle=1.0, clock=clock)
    assert keys(follower) == []
    clock.now = 2.0
    assert keys(follower) == ["s1"]
    assert keys(follower) == []


def test_a_whole_file_is_read_when_it_stops_growing(tmp_path: Path) -> None:
    record = tmp_path / "one.json"
    record.write_text(json.dumps(session("s1", T0))[:30])
    clock = Clock()
    follower = Follower(tmp_path, settle=1.0, clock=clock)
    assert entries(follower) == []
    record.write_text(json.dumps(session("s1", T0)))
    clock.now = 0.5
    assert entries(follower) == []
    clock.now = 2.0
    assert keys(follower) == ["s1"]
    clock.now = 10.0
    assert keys(follower) == []


def test_a_malformed_line_is_reported_once_with_line_and_field(tmp_path: Path) -> None:
    bad = {"session_id": "x", "domain": "math", "trajectory": []}
    (tmp_path / "a.jsonl").write_text(line(session("s1", T0)) + json.dumps(bad) + "\n{oops\n")
    follower = Follower(tmp_path, settle=0)
    found = entries(follower)
    problems = [e for e in found if isinstance(e, Problem)]
    assert [(p.line, p.field) for p in problems] == [(2, "trajectory"), (3, None)]
    assert "invalid JSON" in problems[1].message
    assert entries(follower) == []


def test_a_restarted_follower_resumes_from_the_kept_positions(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    log.write_text(line(session("s1", T0)) + line(session("s2", T0)))
    first = Follower(tmp_path, settle=0)
    followed = list(first.poll())
    kept = {followed[0].position.path: followed[0].position}  # only s1 was handled
    with log.open("a") as out:
        out.write(line(session("s3", T0)))
    second = Follower(tmp_path, settle=0)
    second.resume(kept)
    assert keys(second) == ["s2", "s3"]


def test_a_file_that_shrinks_is_read_again_and_said(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    log.write_text(line(session("s1", T0)) + line(session("s2", T0)))
    follower = Follower(tmp_path, settle=0)
    assert keys(follower) == ["s1", "s2"]
    log.write_text(line(session("s9", T0)))
    found = entries(follower)
    assert isinstance(found[0], Problem) and "shrank" in found[0].message
    assert [e.key for e in found if isinstance(e, Item)] == ["s9"]
