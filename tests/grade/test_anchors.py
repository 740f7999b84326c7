"""The literal prefilter of a cue never changes what the cue matches."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tutorloop.grade import HeuristicConfig
from tutorloop.grade.heuristics.anchors import Cue, required_anchors

CONFIG = HeuristicConfig()
LISTS = {
    name: getattr(CONFIG, name)
    for name in type(CONFIG).model_fields
    if name.endswith("_patterns") and getattr(CONFIG, name)
}
LISTS.update(
    {
        f"safety.{name}": getattr(CONFIG.safety, name)
        for name in type(CONFIG.safety).model_fields
        if name.endswith("_patterns")
    }
)
WORDS = sorted(
    {w for patterns in LISTS.values() for p in patterns for w in re.findall(r"[A-Za-z’']{2,}", p)}
)
text_strategy = st.lists(
    st.one_of(st.sampled_from(WORDS), st.sampled_from([" ", "? ", ". ", "\n", "= 4", "3/4 + 1"])),
    max_size=30,
).map(lambda parts: " ".join(parts))


def test_anchors_of_simple_patterns():
    assert required_anchors(r"\btherefore\b") == frozenset({"therefore"})
    assert required_anchors(r"\b(?:quick|fast) check\b") == frozenset({" check"})
    assert required_anchors(r"(?:final )?answer") == frozenset({"answer"})
    assert required_anchors(r"\b[a-z]\s?=\s?\d+") is None
    assert required_anchors(r"\bI(?:'m| am) (?:human|person)\b", re.I) == frozenset(
        {"human", "person"}
    )


@settings(max_examples=300, deadline=None)
@given(text=text_strategy, upper=st.booleans())
def test_prefiltered_search_equals_plain_search(text, upper):
    text = text.upper() if upper else text
    for patterns in LISTS.values():
        cue = Cue.compile(patterns)
        plain = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
        got = cue.search(text)
        want = plain.search(text)
        assert (got and got.span()) == (want and want.span()), (patterns, text)
