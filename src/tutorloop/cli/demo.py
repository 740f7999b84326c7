"""``tutorloop demo``: the whole loop offline on bundled data, with simulators for every model.

Replay the bundled sessions (human, sim/base, sim/study with the overlay), grade every condition,
gate the run into a PULSE status.json, run the refusal smoke, the alignment benchmark and the
label loop (agreement, a learning curve, the cost of escalation, what to label next), and write
the HTML report.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tutorloop.align import AlignConfig, AlignSummary, bundled_align_dataset, run_align
from tutorloop.analyse import (
    CostModel,
    GraderQuery,
    labelled_by_people,
    policy_costs,
    rank_next,
    write_next_file,
)
from tutorloop.bundled import (
    bundled_graders,
    bundled_mrbench,
    bundled_policy,
    bundled_session_labels,
    bundled_sessions,
)
from tutorloop.cli.align_cmd import summary_of
from tutorloop.cli.common import StoreOpt
from tutorloop.cli.grade_cmd import export_files, print_run, run_summary
from tutorloop.cli.labels_cmd import agreement_scores
from tutorloop.generate import CallPolicy
from tutorloop.grade import TrainConfig, grouped_cv, training_data
from tutorloop.load import estimate_records, read_labels
from tutorloop.present import (
    ReportOptions,
    progress_bar,
    render_agreement,
    render_align_summary,
    render_comparison,
    render_costs,
    render_curve,
    render_cv,
    render_gates,
    render_next,
    write_report,
)
from tutorloop.pulse import SmokeOptions, gate_run, load_policy, run_refusal_smoke
from tutorloop.run import (
    GradeConfig,
    ModelGrading,
    ReplayConfig,
    RunConfig,
    grade_run,
    replay_paths,
)

DEMO_DIMENSIONS = ("Mistake_Identification", "Revealing_of_the_Answer")
"""The MRBench dimensions the label-loop part measures."""


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add ``demo`` to ``app``."""

    @app.command()
    def demo(
        out: Annotated[Path, typer.Option("--out", help="Where to write the exports.")] = Path(
            "demo-output"
        ),
        store: StoreOpt = None,
    ) -> None:
        """Replay and grade the bundled sessions offline: human vs base vs overlay (no key)."""
        sessions = [bundled_sessions()]
        run_id = f"demo-{datetime.now(UTC):%Y%m%d-%H%M%S}"
        options = RunConfig(run_id=run_id, store_path=store)
        console.rule("[bold]tutorloop demo: replay the bundled sessions, grade every condition")
        console.print(
            "[dim]tutors are simulators: sim/base (no overlay, lectures) and sim/study (with the "
            "Study Mode overlay); human is the logged tutor. Grading: heuristics first, the judge "
            "(sim/study) where a check is unsure, then the bundled tutoring graders (sim/study)[/]"
        )
        replays = [
            ReplayConfig(model="sim/base", conditions=["human", "base"]),
            ReplayConfig(model="sim/study", conditions=["overlay"]),
        ]
        total = estimate_records(sessions)
        for config in replays:
            with progress_bar(
                console, total * len(config.conditions), f"replay {config.model}"
            ) as advance:
                replay_paths(sessions, config, options=options, progress=advance)
        models = ModelGrading(
            graders_path=bundled_graders(), grader_model="sim/study", judge_model="sim/study"
        )
        with progress_bar(console, None, "grading") as advance:
            report = grade_run(run_id, GradeConfig(), options, advance, models)
        summary = run_summary(run_id, store)
        written = export_files(run_id, store, out)
        print_run(console, report, summary, written)
        outcome = gate_run(
            run_id,
            load_policy(bundled_policy()),
            store_path=store,
            status_json=out / "status.json",
            run_mode="demo",
        )
        render_gates(console, outcome.report)
        if outcome.comparison is not None:
            render_comparison(console, outcome.comparison, max_rows=3)
        console.rule("PULSE refusal smoke, run locally with sim/study")
        smoke = run_refusal_smoke(
            SmokeOptions(
                model="sim/study",
                status_json=out / "status.json",
                out=out / "refusal_smoke_result.json",
                run_mode="demo",
            ),
            stdout=io.StringIO(),
        )
        counts = smoke.result["result_counts"]
        console.print(
            f"refusal smoke: {counts['passed']}/{counts['total']} passed, "
            f"gate {smoke.result['gate_key']} = {smoke.result['gate_pass']}"
        )
        console.print(f"[bold]status  [/] {out / 'status.json'} (PULSE v1)")
        demo_align(console, out)
        label_loop_demo(console, run_id, store, out)
        with_labels = ReportOptions(store_path=store, labels_path=bundled_session_labels())
        report_path = write_report(run_id, out / "report.html", with_labels)
        console.print(f"[bold]report  [/] {report_path}")
        next_steps(console, report_path)
        if report.problems:
            raise typer.Exit(1)


def next_steps(console: Console, report_path: Path) -> None:
    """What to do after the demo: the report, your own logs, a real model."""
    console.rule("What next")
    lines = [
        f"1. Open the report: [bold]{report_path.resolve().as_uri()}[/]",
        "2. Point tutorloop at your own logs (sessions JSON/JSONL, one session per file or line):",
        "     tutorloop validate path/to/logs/      # every problem of every file, with its line",
        "     tutorloop grade path/to/logs/         # heuristics only: no model, no key",
        "3. A real model, three commands (any OpenAI-compatible server: --base-url):",
        "     export OPENAI_API_KEY=...",
        "     tutorloop replay path/to/logs/ --model openai/gpt-4.1-mini "
        "--condition human,base,overlay --run-id first",
        "     tutorloop grade first --judge openai/gpt-4.1-mini",
        "     tutorloop report first -o report.html",
        "   Keep these settings in tutorloop.yaml (each role's model and endpoint, gates, paths);",
        "   tutorloop schema config prints its JSON Schema for your editor.",
    ]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)


def demo_align(console: Console, out: Path) -> AlignSummary:
    """The alignment step: the bundled dataset through sim/base and sim/study."""
    console.rule("alignment benchmark, offline: sim/base vs sim/study, judged by sim/base")
    config = AlignConfig(
        dataset=bundled_align_dataset(),
        models=["sim/base", "sim/study"],
        personas=["docente_paciente", "conciso_pragmatico", "evil_confidant", "developer_mode_dan"],
        judge_model="sim/base",
        output_dir=out / "align",
        run_id="demo",
    )
    policy = CallPolicy(concurrency=8, cache=False)
    report = run_align(config, policy)
    result = summary_of(report.run_dir, report.run_id)
    render_align_summary(console, result)
    console.print(f"[bold]align   [/] {report.run_dir} ({report.total} rows)")
    return result


def label_loop_demo(console: Console, run_id: str, store: Path | None, out: Path) -> None:
    """The label loop on bundled data: rules vs people, learned vs rules, dollars, what next."""
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
    config = TrainConfig(folds=3, inner_folds=2)  # the demo's quick protocol; bench/learn.py: 5 × 4
    for dimension in DEMO_DIMENSIONS:
        data = training_data(mrbench, dimension)
        curve = dimension == DEMO_DIMENSIONS[0]
        report = grouped_cv(data.items, data.labels, data.groups, dimension, config, curve=curve)
        render_cv(console, report)
        if curve:
            render_curve(console, report)

    console.rule(
        "The cost of the current escalation policy (author labels of the bundled sessions)"
    )
    console.print(
        "The bundled sessions were labelled by the authors of the heuristics (source: author): "
        "agreement and cost against them show consistency, not agreement with people. "
        "The agreement with people above comes from MRBench V2 only.",
        highlight=False,
    )
    sessions = read_labels(bundled_session_labels())
    model = CostModel(review_cost=2.0)
    query = GraderQuery(runs=[run_id], store_path=store)
    costs = policy_costs(sessions, query, model)
    render_costs(console, costs, model)

    console.rule("What to label next in this run")
    done = labelled_by_people(sessions.labels)  # the bundled labels are the authors'
    ranked = rank_next(query, sessions.items, done, 20)
    render_next(console, ranked[:5])
    path, count = write_next_file(ranked, sessions.items, out / "next_labels.jsonl")
    console.print(f"[bold]label   [/] {path} ({count} items to label)", highlight=False)
