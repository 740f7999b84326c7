"""single_question_per_step: count the questions a learner is actually asked."""

import pytest

from tutorloop.grade.heuristics.text import mask_non_prose

from .conftest import convo, verdicts

GOLD_LIKE_TURNS = [
    # a diagnosis whose second question restates the first with alternatives
    "Great, let's start small. 👉 What do you already know about SQL? Have you written a query "
    "before, or are you starting from zero?",
    # the same, introduced with "For example"
    "Before we dive in: can you tell me what you know about fractions? For example, have you "
    "added fractions with different denominators before? That will help me pick examples.",
    # rhetorical heading questions the tutor answers itself, then one real question
    "Ready? Step 1: What is a variable? A variable is a named box where a program keeps a value "
    "for later. Why do people use them? They let you reuse a value without typing it again. "
    "💡 Your turn: what would you name a box that holds your age?",
    # "?" inside code and quoted text
    "Nice. Here is code that asks something:\n```python\nname = input('Who are you?')\n"
    'print(f\'Hi {name}?\')\n```\nAnd try `print("Ready?")` too. Rewrite "Why is the sky blue?" '
    "as a clearer prompt. What role would you give the model?",
    # a code-looking line with a question mark, not fenced
    "Look at this:\nanswer = input('Done?')\nWhat do you think the program waits for?",
]


@pytest.mark.parametrize("turn", GOLD_LIKE_TURNS)
def test_gold_style_turns_ask_one_question(heuristics, turn):
    trajectory = convo("teach me", turn)
    assert verdicts(heuristics, trajectory)["single_question_per_step"] == "pass"


def test_three_questions_in_one_turn_fail_with_their_spans(heuristics):
    turn = "What is a list? How do you add to it? Why would you use a tuple instead?"
    report = heuristics.grade(convo("teach me lists", turn))
    check = next(c for c in report.checks if c.name == "single_question_per_step")
    assert check.verdict == "fail" and not check.passed
    assert [e.text for e in check.evidence] == [
        "What is a list?",
        "How do you add to it?",
        "Why would you use a tuple instead?",
    ]
    assert all(e.turn == 1 for e in check.evidence)


def test_two_distinct_open_questions_fail(heuristics):
    turn = "Which loop did you use? What did it print?"
    assert verdicts(heuristics, convo("hi", turn))["single_question_per_step"] == "fail"


def test_a_final_recap_may_ask_a_few_review_questions(heuristics):
    trajectory = convo(
        "teach me loops",
        "Have you written a loop before?",
        "yes in js",
        "Great. Quick recap: what does range(3) give? What does break do? Why use a for loop?",
    )
    assert verdicts(heuristics, trajectory)["single_question_per_step"] == "pass"


def test_the_recap_allowance_is_only_for_the_final_turn(heuristics):
    trajectory = convo(
        "teach me loops",
        "Quick recap: what does range(3) give? What does break do?",
        "0 1 2 and stops",
        "Exactly. Now try writing a while loop that counts to 3.",
    )
    assert verdicts(heuristics, trajectory)["single_question_per_step"] == "fail"


def test_a_question_followed_by_a_non_answer_stays_open(heuristics):
    turn = "What do you know about loops? Take your time. And which language do you use?"
    assert verdicts(heuristics, convo("hi", turn))["single_question_per_step"] == "fail"


def test_masking_keeps_offsets():
    text = 'Say `x?` and "why?" then ask: ok?'
    masked = mask_non_prose(text)
    assert len(masked) == len(text)
    assert masked.count("?") == 1 and masked.endswith("ok?")
