"""The combined cue scanner finds exactly what each cue's whole regex finds."""

import dataclasses
import pickle
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tutorloop.grade import HeuristicConfig
from tutorloop.grade.heuristics.anchors import Cue, required_sets
from tutorloop.grade.heuristics.cues import Cues
from tutorloop.grade.heuristics.scan import CueScanner, lowers_exactly

CUES = Cues.from_config(HeuristicConfig())
NAMES = [f.name for f in dataclasses.fields(CUES) if f.name != "scanner"]
WORDS = sorted(
    {
        w
        for name in NAMES
        for source in getattr(CUES, name).sources
        for w in re.findall(r"[A-Za-z’']{2,}", source)
    }
)
text_strategy = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from([" ", "? ", ". ", ": ", "\n", "= 4", "3/4 + 1", "x=2", "’s", "ſ", "é"]),
    ),
    max_size=30,
).map(lambda parts: " ".join(parts))


def spans(matches):
    return [m.span() for m in matches]


@settings(max_examples=300, deadline=None)
@given(text=text_strategy, upper=st.booleans())
def test_scanner_search_equals_the_whole_regex(text, upper):
    text = text.upper() if upper else text
    scanner = CUES.scanner
    present = scanner.scan(text.lower())
    exact = lowers_exactly(text)
    for name in NAMES:
        cue: Cue = getattr(CUES, name)
        got = scanner.search(name, text, present, exact)
        want = cue.pattern.search(text)
        assert (got and got.span()) == (want and want.span()), (name, text)
        assert spans(scanner.finditer(name, text, present, exact)) == spans(
            cue.pattern.finditer(text)
        ), (name, text)


def test_required_sets_take_every_literal_a_match_needs():
    assert required_sets(r"\banswer\s*:", re.I) == (frozenset({"answer"}), frozenset({":"}))
    assert required_sets(r"\b[a-z]\s?=\s?\d+") == (frozenset({"="}),)
    assert required_sets(r"\b(?:before|already)\b.*\?") == (
        frozenset({"before", "already"}),
        frozenset({"?"}),
    )
    assert required_sets(r"\w+") == ()


def test_text_with_special_case_folding_is_searched_whole():
    assert (
        lowers_exactly("it’s 👉 “fine”") and not lowers_exactly("ſure") and not lowers_exactly("é")
    )
    cue = Cue.compile([r"\bsure\b", r"\bnever\b"])
    scanner = CueScanner({"c": cue})
    text = "ſure"  # re.IGNORECASE matches "ſ" with "s"; lower-casing does not
    got = scanner.search("c", text, scanner.scan(text.lower()), lowers_exactly(text))
    assert got is None  # no anchor of the cue at all: as the cue's own prefilter decides
    assert cue.search(text) is None


def test_a_scanner_pickles_and_finds_the_same():
    scanner = pickle.loads(pickle.dumps(CUES.scanner))
    text = "Have you used Python before? Quick check: what will x = 3 print?"
    present = scanner.scan(text.lower())
    assert present == CUES.scanner.scan(text.lower())
    for name in NAMES:
        got = scanner.search(name, text, present, True)
        want = getattr(CUES, name).pattern.search(text)
        assert (got and got.span()) == (want and want.span())


def test_a_cue_with_group_references_is_searched_whole():
    cue = Cue.compile([r"(\w)\1 again", r"\bagain\b"])
    scanner = CueScanner({"c": cue})
    text = "say it again: oo again"
    got = scanner.search("c", text, scanner.scan(text.lower()), True)
    want = cue.pattern.search(text)
    assert (got and got.span()) == (want and want.span())
