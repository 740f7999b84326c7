"""What a rule can see in one tutor turn: questions, cues of a mistake, praise, the answer.

The signals are plain regular expressions over the response and the dialogue before it; the
turn heuristics decide labels from them and the learned graders use them as extra features.

:func:`dialogue_signals` reads only what exists when a turn is graded in production: the
dialogue history and the response (:func:`prediction_input` keeps exactly those). A reference
solution exists for some labelled data sets only (MRBench V2 has one for 145 of 200 dialogues;
logs never do), so learned graders never see it: answer-revealing is detected from the dialogue
(a result the tutor states that nobody in the dialogue stated before). :func:`turn_signals`
adds the one reference-based signal for the rules, which may read a reference when an item has
one.
"""

from __future__ import annotations

import re

from tutorloop.records import TurnItem

_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w])")
_QUESTION = re.compile(r"\?")
_MISTAKE = re.compile(
    r"\b(?:not quite|not correct|incorrect|mistake|wrong|error|oops|almost|close|"
    r"double[- ]check|re-?check|recalculate|re-?calculate|look again|take another look|"
    r"careful|actually|hmm+|but remember|however|let'?s revisit|revisit|not right|"
    r"missed|forgot|overlooked|instead of|isn'?t|not the|seems like you)\b",
    re.IGNORECASE,
)
_PRAISE = re.compile(
    r"\b(?:great|good job|good work|nice|well done|excellent|awesome|fantastic|perfect|"
    r"good try|good effort|right track|keep it up|you'?re close|good thinking|brilliant)\b",
    re.IGNORECASE,
)
_CORRECT_ONLY = re.compile(
    r"^\W*(?:great job|good job|well done|excellent|perfect|correct|that'?s (?:right|correct))\b",
    re.IGNORECASE,
)
_DIRECTIVE = re.compile(
    r"\b(?:try|let'?s|think about|remember|consider|look at|notice|check|can you|could you|"
    r"what (?:is|would|do|does|if|happens)|how (?:many|much|did|would|do|can)|why|"
    r"recalculate|go back|start by|first,|next,)\b",
    re.IGNORECASE,
)
_REVEAL = re.compile(
    r"\b(?:the (?:correct |final |right )?answer (?:is|was|should be)|so the answer|"
    r"which (?:gives|equals|makes)|= ?\d)",
    re.IGNORECASE,
)
_OFFENSIVE = re.compile(r"\b(?:stupid|dumb|idiot|lazy|pathetic|useless)\b", re.IGNORECASE)
_STUDENT = re.compile(r"Student:\s*", re.IGNORECASE)


def numbers(text: str) -> set[str]:
    """The numbers in ``text``, normalised (thousands separators and trailing ``.0`` removed)."""
    out = set()
    for raw in _NUMBER.findall(text):
        value = raw.replace(",", "")
        if value.endswith(".0"):
            value = value[:-2]
        out.add(value)
    return out


def final_answer(ground_truth: str | None) -> str | None:
    """The final number of a reference solution (its last number), if it has one."""
    if not ground_truth:
        return None
    found = _NUMBER.findall(ground_truth)
    return found[-1].replace(",", "") if found else None


def last_student_turn(history: str) -> str:
    """The text of the student's last turn in a ``Tutor: … Student: …`` history."""
    parts = _STUDENT.split(history)
    if len(parts) < 2:
        return ""
    return re.split(r"\bTutor:\s*", parts[-1], flags=re.IGNORECASE)[0]


def prediction_input(item: TurnItem) -> TurnItem:
    """``item`` reduced to what a grader has at prediction time: its history and response."""
    return TurnItem(item_id=item.item_id, history=item.history, response=item.response)


def dialogue_signals(history: str, response: str) -> dict[str, float]:
    """The named 0/1 (or count) signals of one tutor turn, from the dialogue alone."""
    text = response
    mentioned = numbers(text)
    student = numbers(last_student_turn(history))
    earlier = numbers(history)
    new = mentioned - earlier
    return {
        "questions": float(min(len(_QUESTION.findall(text)), 3)),
        "ends_with_question": float(text.rstrip().endswith("?")),
        "mistake_cue": float(bool(_MISTAKE.search(text))),
        "praise": float(bool(_PRAISE.search(text))),
        "correct_only": float(bool(_CORRECT_ONLY.search(text)) and not _MISTAKE.search(text)),
        "directive": float(bool(_DIRECTIVE.search(text))),
        "reveal_phrase": float(bool(_REVEAL.search(text))),
        "states_new_number": float(bool(new)),
        "states_new_result": float(bool(new) and bool(_REVEAL.search(text))),
        "mentions_student_number": float(bool(mentioned & student)),
        "offensive": float(bool(_OFFENSIVE.search(text))),
        "exclamation": float("!" in text),
        "long": float(len(text.split()) > 60),
    }


def turn_signals(item: TurnItem) -> dict[str, float]:
    """:func:`dialogue_signals` plus, for the rules, whether the reference's final number appears.

    ``reveals_final_answer`` is 0 when the item has no reference; learned graders never read it.
    """
    answer = final_answer(item.ground_truth)
    signals = dialogue_signals(item.history, item.response)
    signals["reveals_final_answer"] = float(answer is not None and answer in numbers(item.response))
    return signals
