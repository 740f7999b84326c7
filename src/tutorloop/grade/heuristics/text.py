"""Reading one tutor turn: code and quotes masked, sentences, tokens, and the questions it asks.

Masking replaces code (fenced blocks, inline backticks, code-looking lines) and quoted text with
spaces of the same length, so a "?" inside them is not a question and every span found in the
masked text is a valid span of the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tutorloop.grade.heuristics.cues import Cues
from tutorloop.grade.heuristics.scan import lowers_exactly

TOKEN = re.compile(r"\w+|[^\w\s]")
_FENCED = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_INLINE = re.compile(r"`[^`\n]+`")
_QUOTED = re.compile(
    r"\"[^\"\n]{1,300}\"|“[^”\n]{1,300}”|«[^»\n]{1,300}»|(?<![\w'’])'[^'\n]{1,200}'(?![\w])"
)
_CODE_LINE = re.compile(
    r"^[ \t]*(?:>>>|\$ |def |class |import |from \S+ import |for \S.* in .*:|while .*:|if .*:"
    r"|elif .*:|else:|return\b|print\(|[A-Za-z_][\w.\[\]]*\s*(?::\s*\w+\s*)?=(?!=)"
    r"|[\w.]+\([^\n]*\)[ \t]*$).*$",
    re.MULTILINE,
)
_QUOTE_MARKS = ('"', "“", "«", "'")
_CODE_MARKS = ("=", "(", ":", ">>>", "$ ", "import ", "return")
"""A code-looking line holds one of these; text without any skips that regex."""
_SENTENCE = re.compile(r"[^\s][^\n]*?(?:[.!?]+(?=\s|$)|$)", re.MULTILINE)


_NOT_NEWLINE = re.compile(r"[^\n]")


def _blank(match: re.Match[str]) -> str:
    """Spaces for every character but newlines, so lines and offsets stay where they were."""
    return _NOT_NEWLINE.sub(" ", match.group(0))


def mask_non_prose(text: str) -> str:
    """``text`` with code and quoted text replaced by spaces (same length)."""
    if "`" in text:
        text = _FENCED.sub(_blank, text)
        text = _INLINE.sub(_blank, text)
    if any(mark in text for mark in _QUOTE_MARKS):
        text = _QUOTED.sub(_blank, text)
    if any(mark in text for mark in _CODE_MARKS):
        text = _CODE_LINE.sub(_blank, text)
    return text


def count_tokens(text: str) -> int:
    """Approximate model tokens: words and punctuation marks."""
    return len(TOKEN.findall(text))


class Sentence:
    """A sentence of the masked text, with its span in the original."""

    __slots__ = ("_tokens", "end", "is_question", "start", "text")

    def __init__(self, start: int, end: int, text: str, is_question: bool) -> None:
        self.start = start
        self.end = end
        self.text = text
        self.is_question = is_question
        self._tokens = -1

    @property
    def tokens(self) -> int:
        """Approximate tokens of the sentence (counted on first use)."""
        if self._tokens < 0:
            self._tokens = count_tokens(self.text)
        return self._tokens


@dataclass(slots=True, eq=False)
class TurnFeatures:
    """What one tutor turn's text says, computed once per distinct text and shared.

    Everything here depends on the text alone (and the compiled cues), never on where the turn
    stands in a session, so turns with the same text share one record (see
    :class:`~tutorloop.grade.heuristics.memo.FeatureCache`). The fields after ``discounted``
    are filled on first use by the checks that need them.
    """

    raw: str
    masked: str
    raw_lower: str
    """``raw.lower()``, for the cues' literal prefilter."""
    masked_lower: str
    """``masked.lower()``."""
    stripped: str
    """``raw_lower.strip()``, the text compared for repetition (see :mod:`~.progress`)."""
    raw_present: int
    """The cue anchors that occur in ``raw_lower`` (see :meth:`~.scan.CueScanner.scan`)."""
    masked_present: int
    """The cue anchors that occur in ``masked_lower``."""
    exact: bool
    """Whether lower-casing is exact for the text (see :func:`~.scan.lowers_exactly`)."""
    tokens: int
    sentences: list[Sentence]
    question_marks: int
    """Every question sentence in prose, counted naively."""
    asks: list[Sentence] = field(default_factory=list)
    """Questions put to the learner (rhetorical, phatic and restating ones left out)."""
    discounted: int = 0
    """Question sentences not counted as asks (rhetorical, phatic, elaborating)."""
    found: dict[tuple[str, bool], re.Match[str] | None] = field(default_factory=dict)
    """Cue searches already made on this text (see :meth:`SessionView.find`)."""
    tags: list[str] | None = None
    """The action tags of the text (see :func:`~.actions.tag_actions`)."""
    words: frozenset[str] | None = None
    """Content words of the whole text (see :mod:`~.progress`)."""
    statement_words: frozenset[str] | None = None
    """Content words of the text's statements (its sentences that are not questions)."""
    reacts: bool | None = None
    """Whether the text opens by reacting to what came before."""
    similar: dict[str, bool] = field(default_factory=dict)
    """Whether other tutor texts (by their ``stripped`` form) repeat this one."""


class TurnText:
    """One tutor turn: its index in the trajectory and the features of its text.

    The features the checks read most are copied onto the turn (plain attributes are read
    faster than properties, and each session reads them many times).
    """

    __slots__ = (
        "asks",
        "discounted",
        "features",
        "index",
        "masked",
        "masked_lower",
        "question_marks",
        "raw",
        "raw_lower",
        "sentences",
        "tokens",
    )

    def __init__(self, index: int, features: TurnFeatures) -> None:
        self.index = index
        self.features = features
        self.raw: str = features.raw
        """The turn's text."""
        self.masked: str = features.masked
        """The text with code and quotes blanked out."""
        self.raw_lower: str = features.raw_lower
        self.masked_lower: str = features.masked_lower
        self.tokens: int = features.tokens
        """Approximate tokens of the masked text."""
        self.sentences: list[Sentence] = features.sentences
        self.question_marks: int = features.question_marks
        """Every question sentence in prose, counted naively."""
        self.asks: list[Sentence] = features.asks
        """Questions put to the learner."""
        self.discounted: int = features.discounted
        """Question sentences not counted as asks."""


def read_turn(index: int, content: str, cues: Cues, rhetorical_min_tokens: int) -> TurnText:
    """Analyse one tutor turn."""
    return TurnText(index, read_features(content, cues, rhetorical_min_tokens))


def read_features(content: str, cues: Cues, rhetorical_min_tokens: int) -> TurnFeatures:
    """Analyse the text of one tutor turn."""
    masked = mask_non_prose(content)
    sentences = []
    tokens = 0
    findall = TOKEN.findall
    for match in _SENTENCE.finditer(masked):
        chunk = match.group(0).rstrip()
        if not chunk:
            continue
        start = match.start()
        sentence = Sentence(start, start + len(chunk), chunk, "?" in chunk[-3:])
        sentence._tokens = count = len(findall(chunk))
        tokens += count
        sentences.append(sentence)
    raw_lower = content.lower()
    masked_lower = raw_lower if masked is content else masked.lower()
    scan = cues.scanner.scan
    raw_present = scan(raw_lower)
    turn = TurnFeatures(
        raw=content,
        masked=masked,
        raw_lower=raw_lower,
        masked_lower=masked_lower,
        stripped=raw_lower.strip(),
        raw_present=raw_present,
        masked_present=raw_present if masked_lower == raw_lower else scan(masked_lower),
        exact=lowers_exactly(content),
        tokens=tokens,  # every token lies in one sentence: the sentences cover all but spaces
        sentences=sentences,
        question_marks=sum(1 for s in sentences if s.is_question),
    )
    _find_asks(turn, cues, rhetorical_min_tokens)
    return turn


def _find_asks(turn: TurnFeatures, cues: Cues, rhetorical_min_tokens: int) -> None:
    sentences = turn.sentences
    previous_ask: int | None = None
    for i, sentence in enumerate(sentences):
        if not sentence.is_question:
            continue
        body = _question_body(sentence.text)
        if cues.phatic.match(body):
            turn.discounted += 1
            continue
        if _answered_after(sentences, i, cues, rhetorical_min_tokens):
            turn.discounted += 1
            continue
        if previous_ask is not None and previous_ask == i - 1 and cues.elaboration.search(body):
            turn.discounted += 1
            previous_ask = i
            continue
        turn.asks.append(sentence)
        previous_ask = i


def _question_body(text: str) -> str:
    """The question itself, without a leading label such as ``Step 1:`` or an emoji."""
    body = text.rsplit(":", 1)[-1] if ":" in text[:-1] else text
    return body.strip(" \t👉💡✨🤔-–—*").strip()


def _answered_after(
    sentences: list[Sentence], i: int, cues: Cues, rhetorical_min_tokens: int
) -> bool:
    """True when statements right after question ``i`` answer it (a rhetorical question)."""
    tokens = 0
    for following in sentences[i + 1 :]:
        if following.is_question:
            break
        if tokens == 0 and cues.not_an_answer.search(following.text):
            return False
        tokens += following.tokens
        if tokens >= rhetorical_min_tokens:
            return True
    return False
