"""Every result over the golden corpus equals the pinned one, field by field."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.grade.golden.corpus import FIXTURE, graded


def test_results_equal_the_pinned_ones(tmp_path: Path) -> None:
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as handle:
        expected = handle.read().splitlines()
    got = list(graded(tmp_path))
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
