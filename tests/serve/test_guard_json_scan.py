"""The guard's JSON-shape scan answers exactly as a byte-by-byte scan does."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tutorloop.bundled import synthetic_session
from tutorloop.serve.guard import _surely_fine, json_problem


def byte_scan(body: bytes, max_depth: int, max_number_chars: int) -> str | None:
    """The reference: one byte at a time, as a JSON tokenizer would see the body."""
    depth, in_string, escaped, run = 0, False, False, 0
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
            continue
        if byte == 0x22:
            in_string, run = True, 0
        elif byte in (0x5B, 0x7B):
            depth, run = depth + 1, 0
            if depth > max_depth:
                return f"the JSON body is nested deeper than {max_depth} levels: send flatter data"
        elif byte in (0x5D, 0x7D):
            depth, run = depth - 1, 0
        elif 0x30 <= byte <= 0x39 or byte in (0x2D, 0x2B, 0x2E, 0x65, 0x45):
            run += 1
            if run > max_number_chars:
                return (
                    f"the JSON body has a number longer than {max_number_chars} characters: "
                    "send it as a string"
                )
        else:
            run = 0
    return None


_PIECES = st.sampled_from(
    [b"[", b"]", b"{", b"}", b'"', b"\\", b"1", b"e", b"-", b".", b" ", b",", b":", b"a", b"\n"]
)


@settings(max_examples=3000, deadline=None)
@given(
    body=st.lists(_PIECES, max_size=60).map(b"".join),
    max_depth=st.integers(1, 6),
    max_number_chars=st.integers(1, 6),
)
def test_same_answer_as_the_byte_scan(body: bytes, max_depth: int, max_number_chars: int) -> None:
    assert json_problem(body, max_depth, max_number_chars) == byte_scan(
        body, max_depth, max_number_chars
    )


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200), max_depth=st.integers(1, 4))
def test_same_answer_on_any_bytes(body: bytes, max_depth: int) -> None:
    assert json_problem(body, max_depth, 3) == byte_scan(body, max_depth, 3)


@settings(max_examples=2000, deadline=None)
@given(
    body=st.lists(_PIECES, max_size=400).map(b"".join),
    max_depth=st.integers(1, 12),
    max_number_chars=st.integers(1, 8),
)
def test_the_quick_check_passes_only_what_the_byte_scan_passes(
    body: bytes, max_depth: int, max_number_chars: int
) -> None:
    if _surely_fine(body, max_depth, max_number_chars):
        assert byte_scan(body, max_depth, max_number_chars) is None


def test_the_quick_check_passes_a_batch_of_sessions_with_escapes() -> None:
    """Sessions as clients send them (newlines, escaped quotes kept apart) need no exact scan."""
    sessions = [synthetic_session(i, turns=16) for i in range(32)]
    sessions[0]["trajectory"][1]["content"] = 'Line one\nline "two" [x] {y} \\ 12345'
    plain = json.dumps({"sessions": sessions[1:]}).encode()
    assert _surely_fine(plain, 64, 100) and byte_scan(plain, 64, 100) is None
    escaped = json.dumps({"sessions": sessions}).encode()
    assert json_problem(escaped, 64, 100) is None  # the exact scan decides it
