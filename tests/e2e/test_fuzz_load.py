"""10,000 fuzzed records graded through the CLI: no traceback, every good one stored once,
every bad one reported once at its line.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

RECORDS = 10_000
FILES = 4
LIMIT = 64 * 1024
SEED = 20261204

Mutation = Callable[[random.Random, dict[str, object]], bytes]


def valid(rng: random.Random, n: int) -> dict[str, object]:
    turns = []
    for t in range(rng.randint(1, 6)):
        role = "user" if t % 2 == 0 else "assistant"
        words = rng.choices(["fractions", "why", "what", "é", "数学", "ok", "?", "\\", '"'], k=8)
        turns.append({"role": role, "content": " ".join(words)})
    record: dict[str, object] = {"session_id": f"s{n:05d}", "domain": "math", "trajectory": turns}
    if rng.random() < 0.3:
        record["metadata"] = {"n": rng.randint(-(10**30), 10**30), "tags": ["a", {"b": [1]}]}
    return record


def dump(record: dict[str, object]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


def truncated(rng: random.Random, record: dict[str, object]) -> bytes:
    raw = dump(record)
    return raw[: rng.randint(1, len(raw) - 1)]


def wrong_type(rng: random.Random, record: dict[str, object]) -> bytes:
    field = rng.choice(["trajectory", "domain", "content"])
    if field == "content":
        record["trajectory"][0]["content"] = rng.choice([7, None, ["x"]])  # type: ignore[index]
    else:
        record[field] = rng.choice([12, {"a": 1}, True])
    return dump(record)


def deep(rng: random.Random, record: dict[str, object]) -> bytes:
    depth = rng.choice([65, 1000, 100_000])
    raw = dump(record)
    return raw[:-1] + b', "metadata": ' + b"[" * depth + b"]" * depth + b"}"


def huge_int(rng: random.Random, record: dict[str, object]) -> bytes:
    raw = dump(record)
    return raw[:-1] + b', "metadata": {"n": ' + b"9" * rng.randint(4301, 20_000) + b"}}"


def bad_utf8(rng: random.Random, record: dict[str, object]) -> bytes:
    raw = dump(record)
    at = raw.index(b'"content": "') + 12
    return raw[:at] + rng.choice([b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\xe2\x82"]) + raw[at:]


def nul(rng: random.Random, record: dict[str, object]) -> bytes:
    raw = dump(record)
    at = rng.randint(1, len(raw) - 1)
    return raw[:at] + b"\x00" + raw[at:]


def bom(rng: random.Random, record: dict[str, object]) -> bytes:
    return b"\xef\xbb\xbf" + dump(record)


def unknown_role(rng: random.Random, record: dict[str, object]) -> bytes:
    record["trajectory"][0]["role"] = rng.choice(["teacher", "system", "", "USER"])  # type: ignore[index]
    return dump(record)


def empty_content(rng: random.Random, record: dict[str, object]) -> bytes:
    record["trajectory"][-1]["content"] = rng.choice(["", "   "])  # type: ignore[index]
    return dump(record)


def long_line(rng: random.Random, record: dict[str, object]) -> bytes:
    record["trajectory"][0]["content"] = "x" * (LIMIT + rng.randint(1, 3 * LIMIT))  # type: ignore[index]
    return dump(record)


MUTATIONS: dict[str, Mutation] = {
    "truncated": truncated,
    "wrong_type": wrong_type,
    "deep": deep,
    "huge_int": huge_int,
    "bad_utf8": bad_utf8,
    "nul": nul,
    "bom": bom,
    "unknown_role": unknown_role,
    "empty_content": empty_content,
    "long_line": long_line,
}


def write_inputs(folder: Path) -> tuple[set[str], dict[tuple[str, int], str]]:
    """The fuzzed files; the session ids that must be stored, and each bad (file, line)."""
    rng = random.Random(SEED)
    good: set[str] = set()
    bad: dict[tuple[str, int], str] = {}
    per_file = RECORDS // FILES
    for f in range(FILES):
        path = folder / f"part-{f}.jsonl"
        lines = []
        for i in range(per_file):
            n = f * per_file + i
            record = valid(rng, n)
            if i == 0 or rng.random() < 0.7:  # each file starts with a good line
                good.add(str(record["session_id"]))
                lines.append(dump(record))
                continue
            kind = rng.choice(sorted(MUTATIONS))
            lines.append(MUTATIONS[kind](rng, record))
            bad[(str(path), i + 1)] = kind
        path.write_bytes(b"\n".join(lines) + b"\n")
    return good, bad


@pytest.mark.timeout(900)
def test_fuzzed_records_cost_only_themselves(tmp_path):
    good, bad = write_inputs(tmp_path)
    assert len(good) + len(bad) == RECORDS and len(set(bad.values())) == len(MUTATIONS)
    db = tmp_path / "store.db"
    files = sorted(str(p) for p in tmp_path.glob("part-*.jsonl"))
    env = {k: v for k, v in os.environ.items() if k != "TUTORLOOP_HOME"}
    env["TUTORLOOP_MAX_LINE_BYTES"] = str(LIMIT)
    out = tmp_path / "out.json"
    with out.open("wb") as stdout:
        done = subprocess.run(
            [sys.executable, "-m", "tutorloop", "grade", *files, "--store", str(db),
             "--run-id", "fuzz", "--json"],
            cwd=tmp_path, env=env, stdout=stdout, stderr=subprocess.PIPE, timeout=840,
        )  # fmt: skip
    stderr = done.stderr.decode(errors="replace")
    assert "Traceback" not in stderr, stderr[-4000:]
    assert done.returncode == 1, stderr[-4000:]

    with sqlite3.connect(db) as conn:
        stored = Counter(
            key for (key,) in conn.execute("SELECT item_key FROM items WHERE run_id = 'fuzz'")
        )
    assert set(stored) == good and set(stored.values()) == {1}

    problems = json.loads(out.read_bytes())["problems"]
    per_line = Counter((p["path"], p["line"]) for p in problems)
    assert set(per_line) == set(bad), sorted(set(per_line) ^ set(bad))[:10]
    repeated = {where: bad[where] for where, count in per_line.items() if count != 1}
    assert not repeated, repeated
    assert all(p["message"] for p in problems)
