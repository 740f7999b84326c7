"""Ray's line reader splits JSONL exactly as the local loader's text mode does."""

import io

from hypothesis import given
from hypothesis import strategies as st

from evalloop.engines._sources import iter_lines

PIECES = st.sampled_from([b"a", b"{}", b"\n", b"\r", b"\r\n", b"\xc3\xa9", b" "])


@given(st.lists(PIECES, max_size=40), st.sampled_from([1, 2, 3, 7, 1 << 20]))
def test_lines_match_text_mode_at_any_chunk_size(pieces, chunk):
    data = b"".join(pieces)
    expected = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").readlines()
    got = [line.decode("utf-8") for line in iter_lines(io.BytesIO(data), chunk)]
    assert got == expected
