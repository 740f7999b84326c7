"""Label files: MRBench/BEA JSON, tutorloop JSONL and CSV, with row-precise errors."""

import json

import pytest

from tutorloop.bundled import bundled_mrbench, bundled_session_labels
from tutorloop.errors import InputProblems
from tutorloop.load import read_labels, write_labels
from tutorloop.records import MRBENCH_DIMENSIONS, HumanLabel


def dialogue(conv="c1", history="Tutor: 2+2?\nStudent: 5", **tutors):
    responses = tutors or {
        "Expert": {"response": "Not quite, check again?", "annotation": {"Actionability": "Yes"}}
    }
    return {
        "conversation_id": conv,
        "conversation_history": history,
        "Ground_Truth_Solution": "2+2 = 4\n 4",
        "anno_llm_responses": responses,
    }


def test_bundled_mrbench_reads_with_counts_per_dimension():
    labels = read_labels(bundled_mrbench())
    assert labels.format == "mrbench"
    assert len(labels.items) == 1655 and len(labels.labels) == 1655 * 8
    counts = labels.counts()
    assert set(counts) == set(MRBENCH_DIMENSIONS)
    assert counts["Mistake_Identification"] == {"Yes": 1326, "No": 233, "To some extent": 96}
    for dimension, values in counts.items():
        assert set(values) <= set(MRBENCH_DIMENSIONS[dimension]), dimension
    assert labels.sha256.startswith("a8792225075533d1")


def test_repeated_conversation_ids_get_distinct_items_and_share_a_dialogue(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text(json.dumps([dialogue(), dialogue()]), encoding="utf-8")
    labels = read_labels(path)
    assert sorted(labels.items) == ["c1/Expert", "c1~2/Expert"]
    assert labels.group_of("c1/Expert") == labels.group_of("c1~2/Expert")


def test_bad_mrbench_entries_are_all_reported_with_entry_and_field(tmp_path):
    bad_annotation = dialogue(Expert={"response": "hi", "annotation": "Yes"})
    empty_label = dialogue(GPT4={"response": "hi", "annotation": {"Coherence": ""}})
    data = [dialogue(), {"conversation_history": "x"}, bad_annotation, empty_label]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputProblems) as caught:
        read_labels(path)
    fields = [p.field for p in caught.value.problems]
    assert fields == [
        "[1]",
        "[2].anno_llm_responses.Expert.annotation",
        "[3].anno_llm_responses.GPT4.annotation.Coherence",
    ]
    assert "dialogue 1: missing conversation_id" in str(caught.value)


def test_invalid_json_names_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[\n{"conversation_id": 1,\n', encoding="utf-8")
    with pytest.raises(InputProblems) as caught:
        read_labels(path)
    assert caught.value.problems[0].line == 3


def test_bea_test_set_shape_without_annotations_gives_items_only(tmp_path):
    entry = dialogue()
    entry["tutor_responses"] = {"Sonnet": {"response": "Let's check 2+2 together."}}
    del entry["anno_llm_responses"]
    path = tmp_path / "bea.json"
    path.write_text(json.dumps([entry]), encoding="utf-8")
    labels = read_labels(path, "mrbench")
    assert list(labels.items) == ["c1/Sonnet"] and labels.labels == []


def test_tutorloop_jsonl_round_trips_with_pending_rows(tmp_path):
    source = read_labels(bundled_mrbench())
    some = source.labels[:20]
    pending = HumanLabel(item_id=some[0].item_id, dimension="Coherence", value=None, rater="ana")
    path = write_labels(tmp_path / "labels.jsonl", [*some, pending], source.items)
    again = read_labels(path)
    assert again.format == "tutorloop"
    assert [(x.item_id, x.dimension, x.value) for x in again.labels] == [
        (x.item_id, x.dimension, x.value) for x in some
    ]
    assert len(again.pending) == 1
    assert again.items[some[0].item_id] == source.items[some[0].item_id]


def test_tutorloop_jsonl_errors_name_line_and_field(tmp_path):
    lines = [
        json.dumps({"item_id": "a", "dimension": "d", "value": "Yes", "rater": "r1"}),
        "{not json",
        json.dumps({"item_id": "a", "value": "No"}),
        json.dumps({"item_id": "b", "dimension": "d", "value": "No", "schema_version": 99}),
        json.dumps({"item_id": "a", "dimension": "d", "value": "No", "rater": "r1"}),
    ]
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputProblems) as caught:
        read_labels(path)
    where = [(p.line, p.field) for p in caught.value.problems]
    assert (2, None) in where and (3, "dimension") in where and (4, "schema_version") in where
    assert any("twice" in p.message for p in caught.value.problems)
    assert "upgrade tutorloop" in str(caught.value)


def test_csv_with_several_raters_and_multiline_text(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text(
        "item_id,dimension,value,rater,response\n"
        'a,Actionability,Yes,ana,"Try again.\nWhat is 2+2?"\n'
        "a,Actionability,No,ben,\n"
        "b,Actionability,,ana,\n",
        encoding="utf-8",
    )
    labels = read_labels(path)
    assert labels.raters() == ["ana", "ben"]
    assert labels.items["a"].response == "Try again.\nWhat is 2+2?"
    assert len(labels.pending) == 1
    assert labels.gold("Actionability") == {"a": "Yes"}


def test_csv_errors_name_the_physical_line(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text(
        'item_id,dimension,value,response\na,d,Yes,"two\nlines"\n,d,No,\n', encoding="utf-8"
    )
    with pytest.raises(InputProblems) as caught:
        read_labels(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (4, "item_id")
    missing = tmp_path / "missing.csv"
    missing.write_text("item,dimension\n", encoding="utf-8")
    with pytest.raises(InputProblems, match="missing column"):
        read_labels(missing)


def test_bundled_session_labels_cover_every_session():
    labels = read_labels(bundled_session_labels())
    assert len(labels.items) == 25  # 20 examples + 5 adversarial sessions
    assert labels.counts()["escalate"] == {"no": 13, "yes": 12}


def test_labels_carry_their_source_and_version_one_lines_read_as_human(tmp_path):
    old = HumanLabel.model_validate(
        {"schema_version": 1, "item_id": "a", "dimension": "d", "value": "pass"}
    )
    assert old.source == "human" and old.schema_version == 2
    path = tmp_path / "labels.jsonl"
    rows = [
        {
            "schema_version": 2,
            "item_id": "a",
            "dimension": "d",
            "value": "pass",
            "source": "author",
        },
        {
            "schema_version": 2,
            "item_id": "b",
            "dimension": "d",
            "value": "fail",
            "source": "author",
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert read_labels(path).label_source() == "author"


def test_the_bundled_session_labels_are_author_labels():
    labels = read_labels(bundled_session_labels())
    assert labels.label_source() == "author"
    assert read_labels(bundled_mrbench()).label_source() == "human"


def test_agreement_against_author_labels_is_never_called_agreement_with_people():
    from tutorloop.analyse import agreement_title

    assert agreement_title("human") == "agreement with people"
    for source in ("author", "model", "mixed"):
        assert (
            "not" in agreement_title(source)
            and "with people" not in agreement_title(source).split("(")[0]
        )
