"""The progress bar as a person sees it in a terminal: items, rate, ETA and cost so far."""

import io

from rich.console import Console

from tutorloop.present import progress_bar


def test_progress_bar_in_a_terminal_shows_counts_and_cost():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with progress_bar(console, 3, "replaying") as advance:
        advance(1, cost_usd=0.0123)  # before rich has measured a speed
        advance(2)
    with progress_bar(console, None, "grading") as advance:
        advance(5)
    text = out.getvalue()
    assert "3/3" in text and "$0.0123" in text and "5/?" in text


def test_progress_bar_is_quiet_outside_a_terminal():
    out = io.StringIO()
    with progress_bar(Console(file=out, force_terminal=False), 2, "grading") as advance:
        advance(2)
    assert out.getvalue() == ""


def test_a_total_learned_after_the_start_gives_the_bar_its_length():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with progress_bar(console, None, "align") as advance:
        advance(0, total=4)
        advance(4)
    assert "4/4" in out.getvalue()
