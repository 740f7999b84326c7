"""Every result over the golden corpora equals the pinned one, field by field."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.grade.golden.corpus import FIXTURE, UNIQUE_FIXTURE, corpus, graded, unique_corpus
from tutorloop.load import Item


@pytest.mark.parametrize(
    ("fixture", "items"),
    [(FIXTURE, corpus), (UNIQUE_FIXTURE, unique_corpus)],
    ids=["repeating", "unique"],
)
def test_results_equal_the_pinned_ones(
    tmp_path: Path, fixture: Path, items: Callable[[Path], Iterator[Item]]
) -> None:
    with gzip.open(fixture, "rt", encoding="utf-8") as handle:
        expected = handle.read().splitlines()
    got = list(graded(tmp_path, items))
    assert len(got) == len(expected)
    differ = [i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b]
    if differ:
        first = differ[0]
        want, have = json.loads(expected[first]), json.loads(got[first])
        fields = sorted(k for k in want if want[k] != have.get(k))
        raise AssertionError(
            f"{len(differ)} of {len(got)} results differ; first {want['session_id']} in {fields}:\n"
            f"expected {json.dumps({k: want[k] for k in fields})[:3000]}\n"
            f"got      {json.dumps({k: have.get(k) for k in fields})[:3000]}"
        )
