"""Result rows of a Ray run rebuild exactly the records the local engine stores."""

from tutorloop.bundled import bundled_sessions
from tutorloop.engines.results import (
    item_row,
    outcome_of,
    problem_row,
    result_schema,
    rows_table,
    skipped_row,
)
from tutorloop.errors import Problem
from tutorloop.load import Skipped, iter_items
from tutorloop.run import SessionGrader


def test_item_rows_round_trip_with_and_without_shipped_grades():
    grader = SessionGrader()
    for item in list(iter_items([bundled_sessions()]))[:5]:
        outcome = grader.outcome("run", item)
        for shipped in (False, True):
            back = outcome_of(item_row(outcome, with_grades=shipped), "run", grader)
            assert back == outcome


def test_problem_and_skip_rows_round_trip():
    grader = SessionGrader()
    problem = Problem("a.jsonl", "invalid JSON", line=3, field="trajectory", hint="fix it")
    assert outcome_of(problem_row(problem), "run", grader) == problem
    skipped = Skipped("index.json", "an index of sessions")
    assert outcome_of(skipped_row(skipped), "run", grader) == skipped


def test_rows_table_has_every_column_typed():
    table = rows_table([skipped_row(Skipped("x.json", "not a session"))])
    assert table.schema == result_schema() and table.num_rows == 1


def test_rows_written_before_with_every_grade_still_read():
    import json

    grader = SessionGrader()
    item = next(iter(iter_items([bundled_sessions()])))
    outcome = grader.outcome("run", item)
    row = item_row(outcome)
    every = grader.grades("run", item.key, outcome.result)
    row["grades_json"] = json.dumps([g.model_dump(mode="json") for g in every])
    back = outcome_of(row, "run", grader)
    assert back.grades == every
    assert back.check_version is None
