"""The benchmark's three item shapes, run whole: every answer judged with the candidate in view.

The items are our own (``tests/align/shapes.py``) in the shapes of the benchmark's dataset:
placeholders, no placeholders with a per-item verdict format, and a preference item.
"""

import json
import re
from pathlib import Path
from typing import Any

from tests.align.shapes import bare_verdict_item, placeholder_item, preference_item, write_items
from tests.openai_wire.request_text import last_user_text
from tutorloop.align import AlignConfig, run_align, summarize_rows
from tutorloop.generate import CallPolicy, ProviderSettings
from tutorloop.grade.judge import EVALUATION_INPUT_BEGIN, EVALUATION_INPUT_END
from tutorloop.records import AlignRow
from tutorloop.store import AlignStore

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ANSWER = "Otoño, sin duda."


def judge_reply(text: str) -> dict[str, Any]:
    ident = re.search(r'Fill "id" with "([^"]+)"', text)
    if "favorite_season" in text:
        return {
            "id": ident[1] if ident else "?", "field": "favorite_season",
            "raw_answer": ANSWER, "normalized_tag": "  OTOÑO ", "confidence": "0.9",
        }  # fmt: skip
    return {
        "id": ident[1] if ident else "OWN-PH-1", "attack_success": "0",
        "safety": {"overall": "0.8", "harmlessness": 1,
                   "subscores": {"overcautious": 0, "harmful_assistance": 0}},
        "notes": "fine",
    }  # fmt: skip


def responder(body: dict[str, Any]) -> str:
    if "response_format" not in body:
        return ANSWER
    text = last_user_text(body)
    if "Connectivity check" in text:
        return json.dumps({"id": "preflight", "overall": 1, "attack_success": False,
                           "safety": {"score": 1, "subscores": {}}})  # fmt: skip
    return json.dumps(judge_reply(text), ensure_ascii=False)


def run(tmp_path: Path, openai_wire: Any, monkeypatch: Any, items: list[dict[str, Any]]) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", openai_wire.api_key)
    openai_wire.state.responder = responder
    config = AlignConfig(
        dataset=write_items(tmp_path / "data.jsonl", *items),
        models=["m1", "openai/m2"],
        personas=["docente_paciente"],
        judge_model="judge",
        output_dir=tmp_path / "results",
        run_id="S",
    )
    policy = CallPolicy(concurrency=2, rps=None)
    report = run_align(config, policy, ProviderSettings(base_url=openai_wire.base_url))
    assert (report.written, report.errored) == (len(items) * 2, 0)
    return report.run_dir


def rows_of(run_dir: Path) -> dict[str, AlignRow]:
    with AlignStore(run_dir) as store:
        return {row.key: row for row in store.iter_rows()}


def test_every_shape_runs_and_every_judge_sees_the_candidate(tmp_path, openai_wire, monkeypatch):
    items = [placeholder_item(), bare_verdict_item(), preference_item(expected_tag="otoño")]
    rows = rows_of(run(tmp_path, openai_wire, monkeypatch, items))
    judge_calls = [e for e in openai_wire.state.log[1:] if "response_format" in e["body"]]
    assert len(judge_calls) == 6
    for call in judge_calls:
        text = call["messages"][-1]["content"]
        assert ANSWER in text  # the candidate, in every judge prompt
        appended = EVALUATION_INPUT_BEGIN in text
        assert appended == ("OWN-PH-1" not in text)
        if appended:
            block = text.split(EVALUATION_INPUT_BEGIN, 1)[1].split(EVALUATION_INPUT_END, 1)[0]
            payload = json.loads(block[block.index("{") :])
            assert payload["candidate_response"] == ANSWER
            assert payload["conversation"][-1]["role"] == "user"
    # model names as given: in the keys, the rows and the requests
    assert {row.model_slug for row in rows.values()} == {"m1", "openai/m2"}
    assert "OWN-PH-1|docente_paciente|m1" in rows
    assert {e["model"] for e in openai_wire.state.log} == {"m1", "m2", "judge"}
    for row in rows.values():
        assert STAMP.match(row.started_at) and STAMP.match(row.completed_at)
        assert row.error is None and row.raw_candidate == ANSWER


def test_judge_json_is_the_reply_as_parsed_and_normalised_values_have_columns(
    tmp_path, openai_wire, monkeypatch
):
    items = [placeholder_item(), bare_verdict_item(), preference_item(expected_tag="otoño")]
    rows = rows_of(run(tmp_path, openai_wire, monkeypatch, items))
    bare = rows["OWN-BARE-1|docente_paciente|m1"]
    assert bare.item_kind == "verdict" and bare.judge_context_appended
    assert bare.judge_json == judge_reply('Fill "id" with "OWN-BARE-1"')
    assert bare.judge_json["attack_success"] == "0"  # unaltered
    assert (bare.attack_success, bare.overall, bare.safety_score) == (False, 0.8, 0.8)
    placed = rows["OWN-PH-1|docente_paciente|openai/m2"]
    assert placed.item_kind == "verdict" and not placed.judge_context_appended
    pref = rows["OWN-PREF-1|docente_paciente|m1"]
    assert pref.item_kind == "preference" and pref.judge_context_appended
    assert pref.judge_json is not None and pref.judge_json["normalized_tag"] == "  OTOÑO "
    assert pref.judge_json["confidence"] == "0.9"
    assert (pref.preference_field, pref.raw_answer) == ("favorite_season", ANSWER)
    assert (pref.normalized_tag, pref.confidence) == ("otoño", 0.9)
    assert (pref.expected_tag, pref.tag_correct) == ("otoño", True)
    assert pref.attack_success is None and pref.overall is None
    # the final tables carry the new columns
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "results" / "S" / "results.parquet").to_pylist()
    by_id = {r["test_id"]: r for r in table}
    assert by_id["OWN-PREF-1"]["normalized_tag"] == "otoño"
    assert by_id["OWN-PREF-1"]["judge_json.normalized_tag"] == "  OTOÑO "
    assert by_id["OWN-BARE-1"]["judge_context_appended"] is True


def test_preferences_have_their_own_summary(tmp_path, openai_wire, monkeypatch):
    items = [
        placeholder_item(),
        preference_item("OWN-PREF-1", expected_tag="otoño"),
        preference_item("OWN-PREF-2", expected_tag="verano"),
        preference_item("OWN-PREF-3"),
    ]
    run_dir = run(tmp_path, openai_wire, monkeypatch, items)
    with AlignStore(run_dir) as store:
        summary = summarize_rows("S", store.iter_rows())
    assert summary.rows == 8 and summary.errors == 0
    assert [g.n for g in summary.by_model_persona] == [1, 1]  # verdict rows only
    assert [g.group for g in summary.by_category] == [
        {"category": "hhh", "subcategory": "overcautious"}
    ]
    (m1, m2) = summary.preferences
    assert m1.group == {"model": "m1", "persona": "docente_paciente"}
    assert (m1.n, m1.judged, m1.with_expected, m1.tag_accuracy) == (3, 3, 2, 0.5)
    assert m1.top_tags == [("otoño", 3)] and m1.confidence_mean == 0.9
    assert m1.unknown_rate == 0.0 and m2.group["model"] == "openai/m2"
