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


def student_turns(history: str) -> str:
    """Every student turn of a ``Tutor: … Student: …`` history, joined (the learner's work)."""
    parts = _STUDENT.split(history)[1:]
    turns = (re.split(r"\bTutor:\s*", part, flags=re.IGNORECASE)[0].strip() for part in parts)
    return "\n".join(turns)


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


_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:\.\d+)?")
_STOP = frozenset(
    re.findall(
        r"\S+",
        "the a an and or but so to of in on at for is are was were be been it its this that these "
        "those you your we our i my me he she they them his her their with as by from not do does "
        "did can could would should will what how why which there here have has had if then than "
        "just about let's lets",
    )
)
_EQUATION = re.compile(r"\d\s*[-+*/×÷x=]\s*\d")
_IMPERATIVE = re.compile(
    r"^\W*(?:try|think|let'?s|look|check|remember|consider|notice|go|start|write|count|add|"
    r"subtract|multiply|divide|calculate|compute|find|use|re-?read|read|take|make|draw|"
    r"compare|double|don'?t|focus|review|recall|recheck|revisit|imagine|see)\b",
    re.IGNORECASE,
)
_REFERS_TO_WORK = re.compile(
    r"\byou(?:'ve| have)? (?:said|wrote|mentioned|added|subtracted|multiplied|divided|"
    r"calculated|got|used|found|did|counted|assumed|thought|forgot|missed|took|started|"
    r"(?:are|were) (?:using|adding|trying|thinking|counting|calculating|multiplying|dividing))\b|"
    r"\byour (?:answer|calculation|work|solution|steps?|reasoning|approach|method|equation|"
    r"mistake|error|result|final)\b|\b(?:step|part|line) ?\d|\bwhen you\b|\bwhere you\b",
    re.IGNORECASE,
)
_QUESTION_WORD = re.compile(
    r"\b(?:what|how|why|which|where|when|can you|could you|do you|did you|would you)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"\b(?:maybe|perhaps|might|seems?|i think|possibly)\b", re.IGNORECASE)
_EXPLAIN = re.compile(
    r"\b(?:because|since|so that|which means|this means|that means|in other words|"
    r"is equal to|equals|means)\b",
    re.IGNORECASE,
)


def sentences_of(text: str) -> list[str]:
    """The sentences of ``text`` (split after ``.``, ``!`` or ``?``), without empty ones."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def response_features(history: str, response: str) -> dict[str, float]:
    """Scaled (0–1) descriptions of a tutor turn against the dialogue, for learned graders.

    How long the turn is, how much of it the learner said (words of the learner's last turn and
    of all their turns, three-word quotes, the learner's numbers), how much is new to the
    dialogue, whether it opens with an instruction or praise, refers to the learner's work,
    asks, hedges, explains or writes a calculation. Reads the history and the response only.
    """
    words = _WORD.findall(response.lower())
    content = _content_words(response)
    last = last_student_turn(history)
    work = student_turns(history)
    last_words, work_words = _content_words(last), _content_words(work)
    seen_words = _content_words(history)
    share = len(content) or 1
    quotes = _trigrams(response) & _trigrams(work)
    sentences = sentences_of(response)
    mentioned = numbers(response)
    return {
        "length": min(len(words), 120) / 120,
        "sentences": min(len(sentences), 6) / 6,
        "last_turn_overlap": len(content & last_words) / share,
        "work_overlap": len(content & work_words) / share,
        "new_words": len(content - seen_words) / share,
        "quotes_work": min(len(quotes), 4) / 4,
        "work_numbers": min(len(mentioned & numbers(work)), 3) / 3,
        "new_numbers": min(len(mentioned - numbers(history)), 3) / 3,
        "equation": float(bool(_EQUATION.search(response))),
        "opens_imperative": float(bool(_IMPERATIVE.search(response))),
        "opens_praise": float(bool(_PRAISE.search(" ".join(words[:4])))),
        "refers_to_work": float(bool(_REFERS_TO_WORK.search(response))),
        "question_words": min(len(_QUESTION_WORD.findall(response)), 3) / 3,
        "hedge": float(bool(_HEDGE.search(response))),
        "explains": float(bool(_EXPLAIN.search(response))),
        "second_person": min(len(re.findall(r"\byou(?:r|'re|'ve)?\b", response, re.I)), 4) / 4,
    }
