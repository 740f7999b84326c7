"""Terminal tables of human labels: counts per dimension, raters' and graders' agreement."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from tutorloop.analyse import AgreementScore, JudgeAgreement, RaterAgreement, agreement_title
from tutorloop.load import LabelSet


def render_label_counts(console: Console, labelset: LabelSet) -> None:
    """Items, labels and label counts per dimension."""
    console.print(
        f"{labelset.path}: {len(labelset.items)} item(s), {len(labelset.labels)} label(s), "
        f"{len(labelset.pending)} still to label; raters: {', '.join(labelset.raters()) or '—'}",
        highlight=False,
        soft_wrap=True,
    )
    table = Table(title="labels per dimension", title_justify="left")
    table.add_column("dimension")
    table.add_column("items", justify="right")
    table.add_column("label counts")
    for dimension, counts in labelset.counts().items():
        spread = ", ".join(f"{value} {n}" for value, n in counts.most_common())
        table.add_row(dimension, str(len(labelset.by_item(dimension))), spread)
    console.print(table)


def render_rater_agreement(console: Console, pairs: Sequence[RaterAgreement]) -> None:
    """One row per dimension and pair of raters: items both labelled, share agreed, κ."""
    table = Table(title="inter-rater agreement", title_justify="left")
    for column in ("dimension", "raters", "n", "agree", "κ"):
        table.add_column(column)
    for pair in pairs:
        kappa = "—" if pair.kappa is None else f"{pair.kappa:.3f}"
        table.add_row(
            pair.dimension,
            f"{pair.rater_a} / {pair.rater_b}",
            str(pair.n),
            f"{pair.percent_agreement:.2f}",
            kappa,
        )
    console.print(table)


def _ci(score: AgreementScore, metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    low_high = score.ci.get(metric)
    text = f"{value:.3f}"
    return f"{text} [{low_high[0]:.2f}–{low_high[1]:.2f}]" if low_high else text


def render_agreement(
    console: Console, scores: Sequence[AgreementScore], *, confusion: bool = False
) -> None:
    """One row per grader version and dimension, with 95 % intervals over dialogues.

    The title says who gave the labels: agreement with people only for human labels.
    """
    sources = sorted({s.label_source for s in scores}) or ["human"]
    source = sources[0] if len(sources) == 1 else "mixed"
    table = Table(
        title=f"{agreement_title(source)} (95 % bootstrap over dialogues)", title_justify="left"
    )
    for column in ("dimension", "grader", "version", "n", "acc", "macro-F1", "lenient F1", "κ"):
        table.add_column(column, justify="right" if column in ("n",) else "left")
    for s in scores:
        table.add_row(
            s.dimension,
            s.grader,
            s.version,
            str(s.n),
            f"{s.accuracy:.3f}",
            _ci(s, "macro_f1", s.macro_f1),
            _ci(s, "lenient_macro_f1", s.lenient_macro_f1),
            _ci(s, "kappa", s.kappa),
        )
    console.print(table)
    if confusion:
        for s in scores:
            matrix = Table(title=f"{s.dimension} · {s.grader}: rows people, columns grader")
            matrix.add_column("")
            for label in s.labels:
                matrix.add_column(label, justify="right")
            for label, row in zip(s.labels, s.confusion, strict=True):
                matrix.add_row(label, *(str(n) for n in row))
            console.print(matrix)


def render_judge_audit(console: Console, rows: Sequence[JudgeAgreement], items: int) -> None:
    """Heuristic–judge agreement per check, with the audited share and 95 % Wilson intervals."""
    audited = max((r.audited for r in rows), default=0)
    share = f"{audited / items:.0%}" if items else "—"
    table = Table(
        title=(
            f"judge audit: {audited} of {items} session(s) ({share}) judged although the "
            "heuristics were sure; heuristic–judge agreement per check (95 % Wilson)"
        ),
        title_justify="left",
    )
    for column in ("check", "heuristics", "judge", "judged", "audited", "n", "agree", "decided"):
        table.add_column(
            column, justify="right" if column not in ("check", "heuristics", "judge") else "left"
        )
    for r in rows:
        agree = "—"
        if r.rate is not None:
            agree = f"{r.rate:.2f} [{r.ci_low:.2f}–{r.ci_high:.2f}]"
        table.add_row(
            r.check,
            r.heuristic_version,
            r.judge_model,
            str(r.sessions),
            str(r.audited),
            str(r.compared),
            agree,
            str(r.decided),
        )
    console.print(table)
