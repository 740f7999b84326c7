"""The golden corpus of the heuristics: bundled sessions plus thousands of generated ones.

Every result of :class:`tutorloop.run.SessionGrader` over this corpus is pinned in
``results.jsonl.gz`` (``evaluated_at`` left out), so a change that makes grading faster must
keep every verdict, reason, evidence span and confidence identical. A second corpus of sessions
whose tutor texts never repeat (the bench's ``unique`` shape, short and long, with varied
endings: notes, questions, code, practice, recaps) is pinned in ``results_unique.jsonl.gz``:
there no text is ever read from the feature cache. Regenerate both fixtures only for an
intended change of the heuristics::

    python -m tests.grade.golden.corpus
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

from tutorloop.bundled import bundled_sessions, synthetic_session
from tutorloop.load import Item, iter_items
from tutorloop.run import SessionGrader

FIXTURE = Path(__file__).with_name("results.jsonl.gz")
UNIQUE_FIXTURE = Path(__file__).with_name("results_unique.jsonl.gz")
SYNTHETIC = 1500
"""Synthetic sessions (the bench's short shape), 3 to 24 turns."""
LONG = 500
"""Synthetic sessions of the bench's long shape (four or five sentences per tutor turn)."""
MIXED = 1500
"""Sessions whose turns are drawn from the bundled sessions' turns (code, quotes, safety)."""
UNIQUE = 600
"""Sessions of the unique corpus (two in three short, one in three long)."""

_ENDINGS = (
    " (note {i}.{k})",
    " Quick check {i}.{k}: what would this print?",
    " Your turn: try {i} + {k} = ?",
    " x = {k}",
    " To sum up, step {k} of {i} is done.",
    " Have you used {i} before? What level are you at?",
    " I'm a human tutor, note {k}.",
    ' She said "is it {i}?" and moved on.',
    "\n\n```python\nprint({i} * {k})\n```",
    " Exactly! Now rewrite it for {k} items, step by step.",
)
"""Endings that make each tutor text new while varying what the checks can find in it."""


def _long(session: dict[str, object]) -> dict[str, object]:
    trajectory: list[dict[str, str]] = session["trajectory"]  # type: ignore[assignment]
    said = [t["content"] for t in trajectory if t["role"] == "assistant"]
    k = 0
    for turn in trajectory:
        if turn["role"] == "assistant":
            turn["content"] = " ".join(said[(k + j) % len(said)] for j in range(4 + k % 2))
            k += 1
    return session


def _bundled_turns() -> tuple[list[str], list[str]]:
    tutor: list[str] = []
    learner: list[str] = []
    for item in iter_items([bundled_sessions()]):
        for turn in item.trajectory:
            (tutor if turn.role == "assistant" else learner).append(turn.content)
    return tutor, learner


def _mixed(index: int, tutor: list[str], learner: list[str]) -> dict[str, object]:
    rng = random.Random(index)
    turns = rng.randint(1, 14)
    trajectory = []
    role = "user" if rng.random() < 0.85 else "assistant"
    for _ in range(turns):
        if role == "assistant":
            content = rng.choice(tutor)
            if rng.random() < 0.3:
                content = content + " " + rng.choice(tutor)
        else:
            content = rng.choice(learner)
        trajectory.append({"role": role, "content": content})
        if rng.random() < 0.9:
            role = "assistant" if role == "user" else "user"
    return {
        "session_id": f"mixed.{index:06d}",
        "domain": ("programming", "math", "ai")[index % 3],
        "trajectory": trajectory,
    }


def write_corpus(path: Path) -> Path:
    """The generated part of the corpus as one JSONL file."""
    tutor, learner = _bundled_turns()
    with path.open("w", encoding="utf-8") as handle:
        for i in range(SYNTHETIC):
            handle.write(json.dumps(synthetic_session(i, 3 + i % 22)) + "\n")
        for i in range(LONG):
            handle.write(json.dumps(_long(synthetic_session(10_000 + i, 16))) + "\n")
        for i in range(MIXED):
            handle.write(json.dumps(_mixed(i, tutor, learner)) + "\n")
    return path


def _unique(index: int) -> dict[str, object]:
    if index % 3 == 2:
        session = _long(synthetic_session(20_000 + index, 16))
    else:
        session = synthetic_session(20_000 + index, 3 + index % 22)
    trajectory: list[dict[str, str]] = session["trajectory"]  # type: ignore[assignment]
    for k, turn in enumerate(trajectory):
        if turn["role"] == "assistant":
            ending = _ENDINGS[(index + k) % len(_ENDINGS)]
            turn["content"] += ending.format(i=index, k=k)
    return session


def write_unique_corpus(path: Path) -> Path:
    """The unique corpus (no tutor text repeats) as one JSONL file."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(UNIQUE):
            handle.write(json.dumps(_unique(i)) + "\n")
    return path


def corpus(tmp: Path) -> Iterator[Item]:
    """Every item of the corpus: the bundled sessions, then the generated ones."""
    yield from iter_items([bundled_sessions(), write_corpus(tmp / "golden.jsonl")])


def unique_corpus(tmp: Path) -> Iterator[Item]:
    """Every item of the unique corpus."""
    yield from iter_items([write_unique_corpus(tmp / "unique.jsonl")])


def graded(tmp: Path, items: Callable[[Path], Iterator[Item]] = corpus) -> Iterator[str]:
    """Each item's result as canonical JSON (sorted keys, ``evaluated_at`` left out)."""
    grader = SessionGrader()
    for item in items(tmp):
        result = grader.grade(item).model_dump(mode="json", exclude={"evaluated_at"})
        yield json.dumps(result, sort_keys=True, ensure_ascii=False)


def main() -> None:
    """Write the fixture from the current heuristics."""
    import tempfile

    for fixture, items in ((FIXTURE, corpus), (UNIQUE_FIXTURE, unique_corpus)):
        with (
            tempfile.TemporaryDirectory() as tmp,
            gzip.open(fixture, "wt", encoding="utf-8") as out,
        ):
            for line in graded(Path(tmp), items):
                out.write(line + "\n")


if __name__ == "__main__":
    main()
