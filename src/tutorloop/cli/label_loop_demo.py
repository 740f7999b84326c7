"""The demo's label-loop part: agreement, a learning curve, the cost of escalation, what next."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from tutorloop.analyse import CostModel, GraderQuery, policy_costs, rank_next, write_next_file
from tutorloop.bundled import bundled_mrbench, bundled_session_labels
from tutorloop.cli.cost_cmd import render_costs, render_next
from tutorloop.cli.labels_cmd import agreement_scores, render_agreement
from tutorloop.cli.learn_cmd import render_curve, render_cv
from tutorloop.grade import TrainConfig, grouped_cv, training_data
from tutorloop.load import read_labels

DEMO_DIMENSIONS = ("Mistake_Identification", "Revealing_of_the_Answer")


def label_loop_demo(console: Console, run_id: str, store: Path | None, out: Path) -> None:
    """Print the label loop on bundled data: rules vs people, learned vs rules, dollars, next."""
    console.rule("Human labels: MRBench V2 (CC BY-SA 4.0, Maurya et al., NAACL 2025)")
    mrbench = read_labels(bundled_mrbench())
    dialogues = len({mrbench.group_of(i) for i in mrbench.items})
    console.print(
        f"{len(mrbench.items)} tutor responses to {dialogues} dialogues, "
        f"{len(mrbench.labels)} human labels on {len(mrbench.dimensions())} dimensions",
        highlight=False,
    )
    scores, _ = agreement_scores(
        mrbench, [], ["heuristic"], list(DEMO_DIMENSIONS), store, resamples=100
    )
    render_agreement(console, scores)
    config = TrainConfig()
    for dimension in DEMO_DIMENSIONS:
        data = training_data(mrbench, dimension)
        curve = dimension == DEMO_DIMENSIONS[0]
        report = grouped_cv(data.items, data.labels, data.groups, dimension, config, curve=curve)
        render_cv(console, report)
        if curve:
            render_curve(console, report)

    console.rule("The cost of the current escalation policy (labels of the bundled sessions)")
    sessions = read_labels(bundled_session_labels())
    model = CostModel(review_cost=2.0)
    query = GraderQuery(runs=[run_id], store_path=store)
    costs = policy_costs(sessions, query, model)
    render_costs(console, costs, model)

    console.rule("What to label next in this run")
    done = {(label.item_id, label.dimension) for label in sessions.labels}
    ranked = rank_next(query, sessions.items, done, 20)
    render_next(console, ranked[:5])
    path, count = write_next_file(ranked, sessions.items, out / "next_labels.jsonl")
    console.print(f"[bold]label   [/] {path} ({count} items to label)", highlight=False)
