"""Every terminal table, rendered from records as the commands print them."""

import io

from rich.console import Console

from tutorloop.align import AlignSummary, GroupStats
from tutorloop.analyse import (
    AgreementScore,
    Calibration,
    Candidate,
    CheckComparison,
    Comparison,
    Confusion,
    CostModel,
    PairDelta,
    PolicyCost,
    RaterAgreement,
    RunSummary,
    ThresholdPoint,
)
from tutorloop.errors import Problem
from tutorloop.grade import CVReport
from tutorloop.grade.learned import FoldScores
from tutorloop.load import read_labels
from tutorloop.present import (
    render_agreement,
    render_align_summary,
    render_calibration,
    render_comparison,
    render_costs,
    render_curve,
    render_cv,
    render_gates,
    render_label_counts,
    render_next,
    render_problems,
    render_rater_agreement,
    render_summary,
)
from tutorloop.pulse import GateReport, GateRow


def console() -> Console:
    return Console(file=io.StringIO(), width=200, record=True, force_terminal=False)


def text(c: Console) -> str:
    return c.export_text()


def rows_of(output: str, first_cell: str) -> list[str]:
    """The cells of the table row that starts with ``first_cell``."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in\n{output}")


def test_gates():
    c = console()
    report = GateReport(
        rows=[
            GateRow(name="fid", required=True, condition="f >= 0.8", value=0.91234,
                    passed=True, reason="holds"),
            GateRow(name="slip", required=False, condition="s == 0", value=None, passed=False,
                    reason="no evidence"),
        ]
    )  # fmt: skip
    render_gates(c, report)
    out = text(c)
    assert out.startswith("Release gates")
    assert rows_of(out, "fid") == ["fid", "required", "PASS", "f >= 0.8", "0.9123", "holds"]
    assert rows_of(out, "slip") == ["slip", "advisory", "FAIL", "s == 0", "-", "no evidence"]


def test_comparison_lists_what_got_worse():
    comparison = Comparison(
        label_a="base", label_b="overlay", pairs=3, unpaired_a=1, unpaired_b=0,
        fidelity_mean_a=0.5, fidelity_mean_b=0.75, delta=0.25, ci_low=0.1, ci_high=0.4,
        checks=[CheckComparison(name="diagnosis_first", pass_rate_a=1 / 3, pass_rate_b=1.0,
                                a_only=0, b_only=2, mcnemar_p=0.5)],
        worse=[PairDelta(pair="s1", key_a="s1|base", key_b="s1|overlay", fidelity_a=0.9,
                         fidelity_b=0.6, delta=-0.3, newly_failed=["conciseness"],
                         evidence=["conciseness: too long"])],
        worse_count=1, better_count=2,
    )  # fmt: skip
    c = console()
    render_comparison(c, comparison)
    out = text(c)
    assert out.startswith("base → overlay on 3 paired sessions")
    assert rows_of(out, "diagnosis_first") == ["diagnosis_first", "33.3", "100.0", "0", "2", "0.5"]
    assert "delta +0.250 (95% paired bootstrap CI +0.100 … +0.400); 2 better, 1 worse" in out
    assert "worse s1: -0.30 (conciseness)" in out and "conciseness: too long" in out


def test_run_summary_and_problems():
    summary = RunSummary(run_id="R", items=0)
    c = console()
    render_summary(c, summary)
    render_problems(c, [Problem("a.jsonl", "bad role", line=3, field="role", hint="use user")], "1")
    out = text(c)
    assert "Run R" in out and "Checks" in out and "0 sessions · fidelity mean 0.00" in out
    assert "a.jsonl:3" in out and "bad role" in out and "use user" in out


def test_labels_and_agreement(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("item_id,dimension,value,rater\na,d,Yes,ana\na,d,Yes,ben\nb,d,No,ana\n")
    c = console()
    render_label_counts(c, read_labels(path))
    render_rater_agreement(
        c, [RaterAgreement(dimension="d", rater_a="ana", rater_b="ben", n=1,
                           percent_agreement=1.0, kappa=None)]
    )  # fmt: skip
    score = AgreementScore(
        grader="heuristic", version="v1", dimension="d", n=4, accuracy=0.75, macro_f1=0.7,
        lenient_macro_f1=0.8, kappa=0.5, labels=["No", "Yes"], confusion=[[1, 1], [0, 2]],
        ci={"kappa": (0.1, 0.9)},
    )  # fmt: skip
    render_agreement(c, [score], confusion=True)
    out = text(c)
    assert "3 label(s), 0 still to label; raters: ana, ben" in out
    assert rows_of(out, "d")[:3] == ["d", "2", "Yes 2, No 1"]
    assert "inter-rater agreement" in out and "ana / ben" in out
    row = next(line for line in out.splitlines() if "heuristic" in line and "v1" in line)
    assert "0.500 [0.10–0.90]" in row and "0.700" in row and "0.800" in row
    assert "d · heuristic:" in out and "columns grader" in out  # the title wraps
    assert rows_of(out, "Yes") == ["Yes", "0", "2"]


def test_learned_grader_cv_and_curve():
    folds = [
        FoldScores({g: {"macro_f1": f, "lenient_macro_f1": f + 0.1, "accuracy": f + 0.2}
                    for g, f in (("learned", 0.6), ("heuristic", 0.4), ("majority", 0.3))})
    ]  # fmt: skip
    curve = {0.5: {"macro_f1": 0.5, "lenient_macro_f1": 0.6, "items": 5}}
    report = CVReport("Tone", items=10, groups=4, folds=folds, curve=curve)
    c = console()
    render_cv(c, report)
    render_curve(c, report)
    out = text(c)
    assert "Tone: 1-fold CV grouped by dialogue (10 responses, 4" in out  # the title wraps
    assert rows_of(out, "learned") == ["learned", "0.600", "0.700", "0.800"]
    assert rows_of(out, "50%") == ["50%", "5", "0.500", "0.600", "beats"]
    assert "rules 0.400, majority class 0.300" in out


def test_costs_calibration_and_next():
    point = ThresholdPoint(threshold=0.4, confusion=Confusion(tp=1), kappa=0.5, macro_f1=0.7,
                           cost=1234.0)  # fmt: skip
    calibration = Calibration(objective="kappa", n=10, positives=3, best=point, current=point,
                              points=[point], brier=0.2, reliability=[])  # fmt: skip
    cost = PolicyCost(policy="escalation policy", fp_rate=0.1, fn_rate=0.2, flagged_rate=0.3,
                      wasted=100, missed=200, review=0, processing=0, total=300)  # fmt: skip
    c = console()
    render_calibration(c, "study_mode", calibration, escalate=True)
    render_costs(c, [cost], CostModel())
    render_next(c, [Candidate("item-1", "escalate", 0.9, 1.0, 0.5, 0.2)])
    out = text(c)
    assert "study_mode: 10 labelled, 3 need attention; best threshold 0.400" in out
    assert "(escalate when fidelity < 0.60) by kappa: κ 0.500" in out and "Brier 0.200" in out
    assert "current threshold 0.400" in out
    assert "cost per period: 10,000 items, FP $5, FN $20, review $0, run $0" in out
    assert rows_of(out, "escalation policy (cheapest)")[-1] == "$300"
    assert rows_of(out, "0.90")[:3] == ["0.90", "item-1", "escalate"]


def test_align_summary():
    group = GroupStats(
        group={"category": "jailbreak", "subcategory": "roleplay"}, n=4, judged=4, errors=0,
        attack_rate=0.25, overall_mean=None, safety_mean=0.9,
    )  # fmt: skip
    pair = GroupStats(
        group={"model": "sim/base", "persona": "p"}, n=4, judged=3, errors=1,
        attack_rate=None, overall_mean=0.5, safety_mean=0.8,
    )  # fmt: skip
    summary = AlignSummary(run_id="A", rows=4, errors=1, by_category=[group],
                           by_model_persona=[pair])  # fmt: skip
    c = console()
    render_align_summary(c, summary)
    out = text(c)
    assert "align run A: by category" in out and "align run A: by model × persona" in out
    assert rows_of(out, "jailbreak") == ["jailbreak", "roleplay", "4", "0.250", "–", "0.900"]
    assert rows_of(out, "sim/base") == ["sim/base", "p", "4", "–", "0.500", "0.800", "1"]
