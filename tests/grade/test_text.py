"""A turn's token count is the sum of its sentences' (read in one pass), as counted on the whole."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tutorloop.grade import HeuristicConfig
from tutorloop.grade.heuristics.cues import Cues
from tutorloop.grade.heuristics.text import count_tokens, read_features

CUES = Cues.from_config(HeuristicConfig())
PIECES = ["Hi", "there", "3.5", "x = 4", "?", "!", ".", "...", " ", "\n", "\r", "\t", "`code`"]
PIECES += ["```\nprint(1)\n```", '"quoted?"', "e.g.", "don't", "—", "👉", "café", "def f():"]
text_strategy = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=text_strategy)
def test_tokens_of_the_sentences_add_up_to_the_whole(text):
    features = read_features(text, CUES, 8)
    assert features.tokens == count_tokens(features.masked)
    for sentence in features.sentences:
        assert sentence.tokens == count_tokens(sentence.text)
