"""The judge audit: a seeded share of sure sessions judged, agreement per check stored and shown."""

import json

from tests.grade.test_model_grading import run, some_sessions
from tutorloop.analyse import judge_agreement, judge_metrics, wilson_interval
from tutorloop.grade import audit_pick
from tutorloop.pulse import GatePolicy, evaluate_gates
from tutorloop.store import JudgeCheckCounts, Store


def test_the_audit_pick_is_seeded_by_key_and_near_its_share():
    keys = [f"session-{i}" for i in range(4000)]
    picked = [k for k in keys if audit_pick(k, 0.1, seed=0)]
    assert 0.08 < len(picked) / len(keys) < 0.12
    assert picked == [k for k in keys if audit_pick(k, 0.1, seed=0)]  # same keys, same pick
    assert picked != [k for k in keys if audit_pick(k, 0.1, seed=1)]
    assert not any(audit_pick(k, 0.0) for k in keys) and all(audit_pick(k, 1.0) for k in keys)


def test_wilson_intervals_and_gate_metrics():
    low, high = wilson_interval(8, 10)
    assert 0.49 < low < 0.5 and 0.94 < high < 0.95
    rows = judge_agreement(
        [
            JudgeCheckCounts("1.1+x", "sim/study", "conciseness", 10, 4, 10, 9, 0),
            JudgeCheckCounts("1.1+x", "sim/study", "vary_rhythm", 10, 4, 0, 0, 2),
        ]
    )
    assert rows[0].rate == 0.9 and rows[0].ci_low is not None and rows[1].rate is None
    metrics = judge_metrics(rows, items=40)
    assert metrics["judge_audited"] == 4 and metrics["judge_audit_share"] == 0.1
    assert metrics["judge_agreement_min_ci_low"] == rows[0].ci_low
    policy = GatePolicy.model_validate(
        {"required": {"judge_agrees": "judge_agreement_min_ci_low >= 0.5"}}
    )
    ok = evaluate_gates(policy, {"items": 40, **metrics}, run_status="completed")
    assert ok.gates == {"judge_agrees": True}
    missing = evaluate_gates(policy, {"items": 40}, run_status="completed")
    assert missing.gates == {"judge_agrees": False}  # no judge, no evidence: fails closed


def test_grade_with_a_judge_audits_sure_sessions_stores_shows_and_exports_agreement(tmp_path):
    data = some_sessions(tmp_path, 25)
    out = tmp_path / "out"
    result = run("grade", str(data), "--judge", "sim/study", "--judge-audit", "1", "--json",
                 "--out", str(out), "--run-id", "audited", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    reviews = [row["result"]["judge"] for row in payload["results"]]
    assert all(r is not None for r in reviews)  # every session judged: unsure or audited
    assert {r["because"] for r in reviews} == {"audit", "unsure"}
    for row in payload["results"]:
        review = row["result"]["judge"]
        decided = {c["name"] for c in review["checks"] if c["decided"]}
        judged = {c["name"] for c in row["result"]["checks"] if c["source"] == "judge"}
        assert decided == judged  # "judge-decided" is what the judge actually decided
    audit = payload["judge_audit"]
    assert audit and {row["check"] for row in audit} >= {"diagnosis_first", "conciseness"}
    assert all(row["audited"] > 0 and row["heuristic_version"].startswith("1.1+") for row in audit)
    with Store.open(tmp_path / "home" / "tutorloop.db") as store:
        stored = store.judge_counts("audited")
    assert [(c.check, c.compared, c.agreed) for c in stored] == [
        (row["check"], row["compared"], row["agreed"]) for row in audit
    ]
    exported = json.loads((out / "judge_agreement.json").read_text(encoding="utf-8"))
    assert exported == audit
    header = (out / "results.csv").read_text(encoding="utf-8").splitlines()[0]
    assert '"judged"' in header and '"judge.conciseness"' in header
    text = run("grade", "audited", "--judge", "sim/study", cwd=tmp_path)
    assert "judge audit:" in text.stdout and "Wilson" in text.stdout


def test_without_an_audit_only_unsure_sessions_are_judged(tmp_path):
    data = some_sessions(tmp_path, 25)
    result = run("grade", str(data), "--judge", "sim/study", "--judge-audit", "0", "--json",
                 cwd=tmp_path)  # fmt: skip
    reviews = [row["result"]["judge"] for row in json.loads(result.stdout)["results"]]
    assert {r["because"] for r in reviews if r} == {"unsure"}
    assert any(r is None for r in reviews)
