"""The label loop from the command line: import, agreement, learn, calibrate, cost, next."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutorloop.bundled import bundled_mrbench, bundled_session_labels, bundled_sessions


def run(*args: str, cwd: Path, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TUTORLOOP_HOME": str(home or cwd / "store")}
    return subprocess.run(
        [sys.executable, "-m", "tutorloop", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A 50-dialogue MRBench slice, a learned grader on it, a graded run of the bundled sessions."""
    folder = tmp_path_factory.mktemp("loop")
    data = json.loads(bundled_mrbench().read_text(encoding="utf-8"))[:50]
    (folder / "mrbench.json").write_text(json.dumps(data), encoding="utf-8")
    graded = run("grade", str(bundled_sessions()), "--run-id", "r1", cwd=folder)
    assert graded.returncode == 0, graded.stderr
    trained = run(
        "learn", "train", "--labels", "mrbench.json", "--dimension", "Actionability",
        "--out", "model", "--no-cv", cwd=folder,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    return folder


def test_labels_import_reports_counts_per_dimension(tmp_path):
    result = run("labels", "import", str(bundled_mrbench()), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["items"] == 1655 and report["labels"] == 13240
    assert report["counts"]["Tutor_Tone"] == {"Neutral": 1126, "Encouraging": 528, "Offensive": 1}


def test_labels_import_of_a_bad_file_exits_2_naming_each_row(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"item_id": "a", "dimension": "d", "value": "x"}\n{"item_id": "b"}\n')
    result = run("labels", "import", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.jsonl:2 field 'dimension'" in result.stderr


def test_labels_import_shows_inter_rater_agreement(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text(
        "item_id,dimension,value,rater\na,d,Yes,ana\na,d,Yes,ben\nb,d,No,ana\nb,d,Yes,ben\n"
    )
    result = run("labels", "import", str(path), "--json", cwd=tmp_path)
    (pair,) = json.loads(result.stdout)["rater_agreement"]
    assert pair["percent_agreement"] == 0.5


def test_learn_train_predict_and_agreement_on_mrbench(work):
    trained = run(
        "learn", "train", "--labels", "mrbench.json", "--dimension", "Actionability",
        "--out", "model_cv", "--folds", "3", cwd=work,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert "grouped by dialogue" in trained.stdout
    predicted = run(
        "learn", "predict", "model_cv", "--input", "mrbench.json", "--format", "mrbench",
        "--out", "preds.jsonl", cwd=work,
    )  # fmt: skip
    assert predicted.returncode == 0, predicted.stderr
    lines = [json.loads(x) for x in (work / "preds.jsonl").read_text().splitlines()]
    assert lines and {"conversation_id", "tutor", "dimension", "label", "probability"} <= set(
        lines[0]
    )
    assert {x["label"] for x in lines} <= {"Yes", "To some extent", "No"}
    rules = run("learn", "predict", "heuristic", "--input", "mrbench.json", "--out", "h.jsonl",
                cwd=work)  # fmt: skip
    assert rules.returncode == 0, rules.stderr
    result = run(
        "agreement", "--labels", "mrbench.json", "--run", "preds.jsonl", "--run", "h.jsonl",
        "--dimension", "Actionability", "--json", "--resamples", "20", cwd=work,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    graders = {s["grader"] for s in json.loads(result.stdout)}
    assert graders == {"heuristic", "learned:Actionability"}


def test_learned_grader_grades_every_turn_of_sessions(work):
    result = run(
        "learn", "predict", "model", "--input", str(bundled_sessions()), "--format", "sessions",
        "--out", "turns.jsonl", cwd=work,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    first = json.loads((work / "turns.jsonl").read_text().splitlines()[0])
    assert "#" in first["item_id"] and first["dimension"] == "Actionability"


def test_agreement_calibrate_and_cost_on_a_graded_run(work):
    labels = str(bundled_session_labels())
    agreed = run("agreement", "--labels", labels, "--run", "r1", "--json", cwd=work)
    assert agreed.returncode == 0, agreed.stderr
    escalate = [s for s in json.loads(agreed.stdout) if s["dimension"] == "escalate"]
    assert escalate and escalate[0]["n"] == 25  # 20 examples + 5 adversarial sessions
    assert escalate[0]["label_source"] == "author"
    calibrated = run("calibrate", "--labels", labels, "--run", "r1", "--json", cwd=work)
    assert calibrated.returncode == 0, calibrated.stderr
    (cal,) = json.loads(calibrated.stdout).values()
    assert cal["n"] == 25 and cal["positives"] == 12
    cost = run(
        "cost", "--labels", labels, "--run", "r1", "--volume", "10000", "--fp-cost", "5",
        "--fn-cost", "20", "--review-cost", "2", "--json", cwd=work,
    )  # fmt: skip
    assert cost.returncode == 0, cost.stderr
    policies = json.loads(cost.stdout)
    assert {"review everything", "review nothing"} <= {p["policy"] for p in policies}
    assert policies == sorted(policies, key=lambda p: p["total"])


def test_cost_from_rates_is_the_notebooks(tmp_path):
    result = run("cost", "--fp-rate", "0.1", "--fn-rate", "0.05", "--run-cost", "0.01", "--json",
                 cwd=tmp_path)  # fmt: skip
    assert json.loads(result.stdout)["total"] == pytest.approx(10000 * (0.5 + 1.0 + 0.01))


def test_next_writes_a_labelling_file_that_labels_import_reads_back(work):
    result = run(
        "next", "--model", "heuristic", "--model", "model", "--input", "mrbench.json",
        "--n", "15", "--out", "next.jsonl", cwd=work,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    imported = run("labels", "import", "next.jsonl", "--json", cwd=work)
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert report["pending"] == 15 and report["labels"] == 0
    first = json.loads((work / "next.jsonl").read_text().splitlines()[0])
    assert first["item"]["response"] and "priority" in first["note"]


def test_grade_with_a_learned_grader_summarises_it_and_agreement_reads_it(work):
    graded = run(
        "grade", str(bundled_sessions()), "--run-id", "rl", "--learned", "model",
        "--judge", "sim/study", cwd=work,
    )  # fmt: skip
    assert graded.returncode == 0, graded.stderr
    assert "learned:Actionability" in graded.stdout
    ids = sorted(p.stem for p in bundled_sessions().glob("*.json"))[:6]
    labels = work / "actionability.jsonl"
    labels.write_text(
        "".join(
            json.dumps({"item_id": i, "dimension": "Actionability", "value": v, "rater": "ana"})
            + "\n"
            for i, v in zip(ids, ["Yes", "No", "Yes", "To some extent", "Yes", "No"], strict=True)
        ),
        encoding="utf-8",
    )
    agreed = run("agreement", "--labels", str(labels), "--run", "rl", "--json", cwd=work)
    assert agreed.returncode == 0, agreed.stderr
    (score,) = json.loads(agreed.stdout)
    assert score["grader"] == "learned:Actionability" and score["n"] == 6


def test_next_still_lists_what_only_the_authors_labelled(work):
    """Author labels are no evidence of agreement with people: those items still wait for one."""
    authors = run(
        "next", "--run", "r1", "--labels", str(bundled_session_labels()), "--json",
        "--out", "next-authors.jsonl", cwd=work,
    )  # fmt: skip
    assert authors.returncode == 0, authors.stderr
    listed = json.loads(authors.stdout)["items"]
    assert listed
    people = work / "people.jsonl"
    lines = bundled_session_labels().read_text(encoding="utf-8").splitlines()
    people.write_text(
        "".join(json.dumps({**json.loads(line), "source": "human"}) + "\n" for line in lines),
        encoding="utf-8",
    )
    humans = run(
        "next", "--run", "r1", "--labels", str(people), "--json", "--out", "next-people.jsonl",
        cwd=work,
    )  # fmt: skip
    assert humans.returncode == 0, humans.stderr
    labelled = {(json.loads(line)["item_id"], json.loads(line)["dimension"]) for line in lines}
    again = {(c["item_id"], c["dimension"]) for c in json.loads(humans.stdout)["items"]}
    assert not again & labelled
    assert {(c["item_id"], c["dimension"]) for c in listed} & labelled
