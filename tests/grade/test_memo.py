"""The heuristics' per-text caches: shared features, bounded size, same results."""

from __future__ import annotations

from tutorloop.grade.heuristics import HeuristicConfig
from tutorloop.grade.heuristics.cues import Cues
from tutorloop.grade.heuristics.memo import FeatureCache
from tutorloop.grade.heuristics.text import read_features


def test_a_text_is_kept_from_its_second_sighting_on() -> None:
    config = HeuristicConfig()
    memo = FeatureCache(Cues.from_config(config), config.rhetorical_answer_min_tokens)
    text = "What do you already know? Try it."
    first = memo.tutor(text)
    second = memo.tutor(text)
    assert second is not first  # seen once: not kept
    assert memo.tutor(text) is second
    assert memo.learner("ok") is not memo.learner("ok")
    assert memo.learner("ok") is memo.learner("ok")


def test_caches_stay_bounded() -> None:
    config = HeuristicConfig()
    memo = FeatureCache(Cues.from_config(config), config.rhetorical_answer_min_tokens, limit=8)
    for i in range(100):
        for _ in range(2):
            memo.tutor(f"turn {i}?")
            memo.learner(f"reply {i}")
    assert len(memo._tutor) <= 8
    assert len(memo._learner) <= 8
    assert len(memo._seen) <= 64


def test_cached_features_equal_fresh_ones() -> None:
    config = HeuristicConfig()
    cues = Cues.from_config(config)
    memo = FeatureCache(cues, config.rhetorical_answer_min_tokens)
    text = "Nice. Is it 3? Or is it 4? Think about it: why does this work?"
    cached = memo.tutor(text)
    fresh = read_features(text, cues, config.rhetorical_answer_min_tokens)
    assert [s.text for s in cached.asks] == [s.text for s in fresh.asks]
    assert (cached.tokens, cached.discounted) == (fresh.tokens, fresh.discounted)


def test_a_used_grader_still_pickles_and_copies() -> None:
    import copy
    import pickle

    from tutorloop.bundled import bundled_sessions
    from tutorloop.grade.heuristics import StudyModeHeuristics
    from tutorloop.load import iter_items

    heuristics = StudyModeHeuristics()
    items = list(iter_items([bundled_sessions()]))
    for item in items * 2:
        heuristics.grade(item.trajectory)
    for clone in (pickle.loads(pickle.dumps(heuristics)), copy.deepcopy(heuristics)):
        assert clone.memo._tutor == {}
        first = items[0].trajectory
        assert clone.grade(first).checks == heuristics.grade(first).checks
