"""Ray's line reader splits JSONL as the local loader's text mode does; it reads sessions only."""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutorloop.engines._sources import _chunk_tables, _line_chunks, iter_lines, read_inputs
from tutorloop.errors import UserError

PIECES = st.sampled_from([b"a", b"{}", b"\n", b"\r", b"\r\n", b"\xc3\xa9", b" "])


@given(st.lists(PIECES, max_size=40), st.sampled_from([1, 2, 3, 7, 1 << 20]))
def test_lines_match_text_mode_at_any_chunk_size(pieces, chunk):
    data = b"".join(pieces)
    expected = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").readlines()
    got = [line.decode("utf-8") for line in iter_lines(io.BytesIO(data), chunk)]
    assert got == expected


@settings(deadline=None)  # the first example imports pyarrow
@given(
    st.lists(PIECES, max_size=40),
    st.booleans(),
    st.sampled_from([1, 2, 5, 64, 1 << 20]),
)
def test_line_ranges_read_every_line_once_with_its_number(tmp_path_factory, pieces, bad, size):
    data = b"".join(pieces) + (b"\xff\nafter\n" if bad else b"")
    path = tmp_path_factory.mktemp("shard") / "part.jsonl"
    path.write_bytes(data)
    expected: list[tuple[int, str | None, str | None]] = []
    for number, raw in enumerate(iter_lines(io.BytesIO(data)), start=1):
        try:
            expected.append((number, raw.decode("utf-8").rstrip("\n"), None))
        except UnicodeDecodeError:
            expected.append((number, None, "cannot read the text"))  # that line only
    got = [
        (row["line"], row["text"], row["problem"] and row["problem"][:20])
        for chunk in _line_chunks({str(path): (str(path), False)}, size)
        for table in _chunk_tables(chunk)
        for row in table.to_pylist()
    ]
    assert got == expected


def test_other_tools_logs_are_refused_with_the_command_that_converts_them(tmp_path):
    log = tmp_path / "chat.jsonl"
    log.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"an? openai-chat log.*tutorloop import"):
        read_inputs(None, [log])  # type: ignore[arg-type]  # refused before Ray is used
