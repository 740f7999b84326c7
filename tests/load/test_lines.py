"""One bad record costs one record: the streaming line reader and the safe JSON parse."""

import csv
import io
import json
import tracemalloc
from pathlib import Path

import pytest

from tutorloop.errors import InputProblems, Problem
from tutorloop.load import (
    MAX_LINE_BYTES_ENV,
    EvalItem,
    Item,
    JsonProblem,
    Line,
    iter_eval_items,
    iter_lines,
    iter_loaded,
    looks_like_eval_items,
    parse_json,
    read_labels,
)
from tutorloop.load.labels.rows import read_csv, read_jsonl
from tutorloop.records import HumanLabel


def session(n: int) -> dict[str, object]:
    return {
        "session_id": f"s{n}",
        "domain": "math",
        "trajectory": [
            {"role": "user", "content": "help me with fractions"},
            {"role": "assistant", "content": "What do you already know about fractions?"},
        ],
    }


def line_of(n: int) -> bytes:
    return json.dumps(session(n)).encode()


DEEP = b'{"session_id": "deep", "domain": "m", "metadata": ' + b"[" * 1000 + b"]" * 1000 + b"}"
HUGE = b'{"session_id": "huge", "domain": "m", "metadata": {"n": ' + b"7" * 5000 + b"}}"
BAD_UTF8 = b'{"session_id": "bad\xff", "domain": "m", "trajectory": []}'
NUL = b'{"session_id": "nul\x00", "domain": "m", "trajectory": []}'
STRAY_BOM = b"\xef\xbb\xbf" + line_of(99)
SURROGATE = b'{"session_id": "sur\\ud800", "domain": "m", "trajectory": []}'

BAD = {"deep": DEEP, "huge": HUGE, "utf8": BAD_UTF8, "nul": NUL, "bom": STRAY_BOM}


def loaded(path: Path) -> tuple[list[str], list[Problem]]:
    keys, problems = [], []
    for entry in iter_loaded([path]):
        if isinstance(entry, Item):
            keys.append(entry.key)
        elif isinstance(entry, Problem):
            problems.append(entry)
    return keys, problems


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_jsonl_line_costs_that_line_only(tmp_path, kind):
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\n".join([line_of(1), line_of(2), BAD[kind], line_of(4), line_of(5)]))
    keys, problems = loaded(path)
    assert keys == ["s1", "s2", "s4", "s5"]
    (problem,) = problems
    assert problem.path == str(path) and problem.line == 3
    assert problem.hint, problem


def test_what_each_bad_line_is_reported_as(tmp_path):
    messages = {}
    for kind, raw in {**BAD, "surrogate": SURROGATE}.items():
        path = tmp_path / f"{kind}.jsonl"
        path.write_bytes(line_of(1) + b"\n" + raw + b"\n")
        (problem,) = loaded(path)[1]
        messages[kind] = str(problem)
    assert "nested 1001 levels deep, over the limit of 64" in messages["deep"]
    assert "4300 digits" in messages["huge"] and "as strings" in messages["huge"]
    assert ":2: cannot read the text: byte 0xff at column 20 is not UTF-8" in messages["utf8"]
    assert "NUL byte at column 20" in messages["nul"]
    assert "byte order mark (U+FEFF) at column 1" in messages["bom"]
    assert "lone surrogate" in messages["surrogate"]


def test_a_bom_at_the_start_of_a_file_is_accepted(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + line_of(1) + b"\r\n" + line_of(2) + b"\r\n")
    assert loaded(path) == (["s1", "s2"], [])
    one = tmp_path / "one.json"
    one.write_bytes(b"\xef\xbb\xbf" + line_of(3))
    assert loaded(one) == (["s3"], [])


def test_a_json_file_names_the_line_of_a_bad_byte(tmp_path):
    path = tmp_path / "one.json"
    text = json.dumps(session(1), indent=2).encode().replace(b"fractions", b"fr\xe9ctions", 1)
    path.write_bytes(text)
    (problem,) = loaded(path)[1]
    assert problem.line == 7 and "byte 0xe9 at column 34 is not UTF-8" in problem.message


def test_a_folder_of_json_files_loses_only_the_bad_file(tmp_path):
    for n in range(3):
        (tmp_path / f"ok{n}.json").write_bytes(line_of(n))
    for kind, raw in BAD.items():
        (tmp_path / f"bad-{kind}.json").write_bytes(raw)
    keys, problems = loaded(tmp_path)
    assert sorted(keys) == ["s0", "s1", "s2", "s99"]  # a BOM that starts a file is accepted
    assert len(problems) == 4


def test_a_line_over_the_limit_costs_one_record_without_being_held(tmp_path, monkeypatch):
    monkeypatch.setenv(MAX_LINE_BYTES_ENV, str(256 * 1024))
    path = tmp_path / "s.jsonl"
    huge = b'{"session_id": "big", "domain": "m", "metadata": {"x": "' + b"a" * (24 << 20)
    path.write_bytes(line_of(1) + b"\n" + huge + b'"}}\n' + line_of(3) + b"\n")
    tracemalloc.start()
    try:
        keys, problems = loaded(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert keys == ["s1", "s3"]
    (problem,) = problems
    assert problem.line == 2 and "over the limit of 262,144" in problem.message
    assert MAX_LINE_BYTES_ENV in (problem.hint or "")
    assert peak < 8 << 20, f"peak {peak:,} bytes while skipping a 24 MB line"


def test_the_reader_numbers_every_line_and_keeps_the_last_without_newline(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"a\n\n\xffb\nc")
    out = list(iter_lines(path, limit=10))
    assert [x.number if isinstance(x, Line) else x.line for x in out] == [1, 2, 3, 4]
    assert isinstance(out[2], Problem) and [x.text for x in out if isinstance(x, Line)] == [
        "a",
        "",
        "c",
    ]


def test_lines_longer_than_a_chunk_are_joined(tmp_path, monkeypatch):
    monkeypatch.setattr("tutorloop.load.lines.CHUNK_BYTES", 7)
    path = tmp_path / "x.txt"
    path.write_bytes(b"0123456789abcdef\nxy\n" + b"z" * 30)
    out = [x.text for x in iter_lines(path, limit=100) if isinstance(x, Line)]
    assert out == ["0123456789abcdef", "xy", "z" * 30]
    over = list(iter_lines(path, limit=16))
    assert isinstance(over[2], Problem) and over[2].line == 3
    assert [x.text for x in over[:2] if isinstance(x, Line)] == ["0123456789abcdef", "xy"]


def test_parse_json_never_raises():
    for text in ["[" * 100_000, "{" * 5000, "1" * 10_000, "NaN", "-Infinity", "", '"\\ud800"']:
        assert isinstance(parse_json(text), JsonProblem), text
    assert parse_json('{"a": "[[[[{{{"}') == {"a": "[[[[{{{"}
    assert parse_json('"\\ud83d\\ude00"') == "\U0001f600"


def test_eval_items_lose_only_the_bad_lines(tmp_path):
    path = tmp_path / "items.jsonl"
    rows = [json.dumps({"item": {"id": f"i{n}", "q": "2+2"}}).encode() for n in range(4)]
    bad = b'{"item": {"id": "x", "q": ' + b"[" * 500 + b"]" * 500 + b"}}"
    path.write_bytes(b"\n".join([b"\xff\xfe", rows[0], bad, rows[1], NUL, rows[2], HUGE]))
    assert looks_like_eval_items(path)  # an unreadable first line does not hide the dataset
    out = list(iter_eval_items(path))
    assert [x.key for x in out if isinstance(x, EvalItem)] == ["i0", "i1", "i2"]
    assert [x.line for x in out if isinstance(x, Problem)] == [1, 3, 5, 7]


def label(n: int) -> bytes:
    return json.dumps({"item_id": f"i{n}", "dimension": "d", "value": "yes"}).encode()


def test_label_jsonl_loses_only_the_bad_lines(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_bytes(b"\n".join([label(1), BAD_UTF8, label(2), DEEP, label(3), STRAY_BOM]))
    out = list(read_jsonl(str(path)))
    assert [x.item_id for x in out if isinstance(x, HumanLabel)] == ["i1", "i2", "i3"]
    assert [x.line for x in out if isinstance(x, Problem)] == [2, 4, 6]
    with pytest.raises(InputProblems) as caught:
        read_labels(path)
    assert len(caught.value.problems) == 3


def test_label_csv_loses_only_the_bad_rows(tmp_path):
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["item_id", "dimension", "value"])
    for n in range(4):
        writer.writerow([f"i{n}", "d", "yes"])
    lines = text.getvalue().encode().splitlines()
    lines[2] = b"i1,d,y\xffs"
    lines[4] = b"i3,d,\x00"
    path = tmp_path / "labels.csv"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")
    out = list(read_csv(str(path)))
    assert [x.item_id for x in out if isinstance(x, HumanLabel)] == ["i0", "i2"]
    assert [x.line for x in out if isinstance(x, Problem)] == [3, 5]


def test_mrbench_json_too_deep_or_huge_is_one_problem(tmp_path):
    for raw in (b"[" * 3000 + b"]" * 3000, b'[{"conversation_id": ' + b"9" * 6000 + b"}]"):
        path = tmp_path / "mr.json"
        path.write_bytes(raw)
        with pytest.raises(InputProblems) as caught:
            read_labels(path)
        (problem,) = caught.value.problems
        assert problem.path == str(path) and problem.hint


def test_predictions_and_eval_definitions_report_instead_of_raising(tmp_path):
    from tutorloop.errors import ConfigError
    from tutorloop.load import read_definition, read_predictions

    predictions = tmp_path / "pred.jsonl"
    predictions.write_bytes(b"\n".join([DEEP, BAD_UTF8, HUGE]))
    with pytest.raises(InputProblems) as caught:
        read_predictions(predictions)
    assert [p.line for p in caught.value.problems] == [1, 2, 3]
    definition = tmp_path / "eval.json"
    definition.write_bytes(b"[" * 200_000)
    with pytest.raises(ConfigError, match="nested 200000 levels deep"):
        read_definition(definition)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
def test_lines_split_as_text_mode_splits_them(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr("tutorloop.load.lines.CHUNK_BYTES", chunk)
    data = b"a\r\nb\rc\n\r\n\xc3\xa9\r"
    path = tmp_path / "x.txt"
    path.write_bytes(data)
    expected = [line.rstrip("\n") for line in io.TextIOWrapper(io.BytesIO(data), "utf-8")]
    assert [x.text for x in iter_lines(path) if isinstance(x, Line)] == expected
