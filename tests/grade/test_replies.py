"""Reading grader replies from servers that ignore ``response_format``."""

from __future__ import annotations

import pytest

from tutorloop.grade.graders.replies import RAW_REPLY_CHARS, UnreadableReply, read_reply

LABELS = ["correct", "incorrect"]


@pytest.mark.parametrize(
    ("text", "labels", "result", "reason"),
    [
        (
            '{"steps": [{"description": "d", "conclusion": "fine"}], "result": 0.5}',
            None,
            0.5,
            "fine",
        ),
        ("1", None, 1, ""),
        (" 0.75\n", None, 0.75, ""),
        ("**1**", None, 1.0, ""),
        ("4.", None, 4.0, ""),
        ("-2", None, -2.0, ""),
        ('"3"', None, 3.0, ""),
        ('```json\n{"steps": [], "result": 1}\n```', None, 1, ""),
        ('My grade:\n```\n{"result": 0}\n```\nThanks.', None, 0, ""),
        ("```\n1\n```", None, 1, ""),
        ("correct", LABELS, "correct", ""),
        ("Incorrect.", LABELS, "incorrect", ""),
        ('"correct"', LABELS, "correct", ""),
        ('```json\n{"result": "incorrect", "steps": []}\n```', LABELS, "incorrect", ""),
        ('{"result": "maybe"}', LABELS, "maybe", ""),
    ],
)
def test_replies_are_read_as_the_structured_reply(text, labels, result, reason) -> None:
    assert read_reply(text, labels) == (result, reason)


@pytest.mark.parametrize(
    ("text", "labels", "words"),
    [
        ("I think it is good", None, "not JSON"),
        ("correct", None, "a number"),
        ("1", LABELS, "a label"),
        ('{"score": 1}', None, "no 'result'"),
        ("", None, "not JSON"),
        ("true", None, "not JSON"),
    ],
)
def test_unreadable_replies_keep_the_raw_reply(text, labels, words) -> None:
    with pytest.raises(UnreadableReply) as caught:
        read_reply(text, labels)
    assert words in str(caught.value) and repr(text) in str(caught.value)


def test_a_long_unreadable_reply_is_kept_up_to_the_limit() -> None:
    with pytest.raises(UnreadableReply) as caught:
        read_reply("x" * (RAW_REPLY_CHARS + 50))
    assert "x" * RAW_REPLY_CHARS + "…" in str(caught.value)
