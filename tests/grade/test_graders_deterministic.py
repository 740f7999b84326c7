"""string_check, text_similarity, python and multi graders: semantics and edge cases."""

from __future__ import annotations

import asyncio
import random
import typing
from typing import Any

import pytest
from nltk.translate.gleu_score import sentence_gleu  # type: ignore[import-untyped]
from pydantic import ValidationError
from rouge_score import rouge_scorer  # type: ignore[import-untyped]
from sacrebleu import sentence_bleu

from tutorloop.errors import ConfigError
from tutorloop.grade.base import GraderOutcome, GraderSpec, Sample
from tutorloop.grade.graders.env import GradeEnv
from tutorloop.grade.graders.multi import MultiGrader
from tutorloop.grade.graders.python_grader import PythonGrader
from tutorloop.grade.graders.registry import parse_grader
from tutorloop.grade.graders.string_check import StringCheckGrader
from tutorloop.grade.graders.text_similarity import (
    METRICS,
    Metric,
    TextSimilarityGrader,
    similarity,
    tokens,
)

SENTENCE = "the quick brown fox jumps over the lazy dog near the quiet river bank"
DETERMINISTIC = sorted(METRICS)


def run(
    grader: GraderSpec, sample: str = "", item: dict[str, Any] | None = None, **env: Any
) -> Any:
    return asyncio.run(grader.grade(item or {}, Sample.from_text(sample), GradeEnv(**env)))


def check(op: str, text: str, reference: str) -> GraderOutcome:
    grader = StringCheckGrader(name="c", input=text, reference=reference, operation=op)  # type: ignore[arg-type]
    return typing.cast(GraderOutcome, run(grader))


def sim(metric: str, text: str, reference: str, threshold: float = 0.5) -> GraderOutcome:
    grader = TextSimilarityGrader(
        name="s",
        input=text,
        reference=reference,
        pass_threshold=threshold,
        evaluation_metric=metric,  # type: ignore[arg-type]
    )
    return typing.cast(GraderOutcome, run(grader))


# -- string_check ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "text", "reference", "passed"),
    [
        ("eq", "Paris", "Paris", True),
        ("eq", "Paris", "paris", False),
        ("eq", "Paris ", "Paris", False),
        ("eq", "", "", True),
        ("eq", "café", "cafe\u0301", False),  # no Unicode normalisation
        ("eq", "日本語", "日本語", True),
        ("ne", "Paris", "paris", True),
        ("ne", "", "", False),
        ("like", "The capital is Paris.", "Paris", True),
        ("like", "The capital is Paris.", "paris", False),
        ("like", "anything", "", True),
        ("like", "", "", True),
        ("like", "", "x", False),
        ("like", "100% sure", "0%", True),
        ("like", "abc", "a%", False),  # % is literal, not a wildcard
        ("ilike", "The capital is PARIS.", "paris", True),
        ("ilike", "STRASSE", "straße", True),
        ("ilike", "Paris", "London", False),
    ],
)
def test_string_check_operations(op: str, text: str, reference: str, passed: bool) -> None:
    outcome = check(op, text, reference)
    assert outcome.error is None
    assert outcome.passed is passed
    assert outcome.score == (1.0 if passed else 0.0)
    assert outcome.name == "c" and outcome.type == "string_check"


def test_string_check_templates() -> None:
    item = {"answer": "42", "nested": {"x": "y"}}
    grader = StringCheckGrader(
        name="t", input="{{ sample.output_text }}", reference="{{ item.answer }}", operation="eq"
    )
    assert run(grader, "42", item).passed is True
    assert run(grader, "41", item).passed is False
    on_json = StringCheckGrader(
        name="j",
        input="{{ sample.output_json.x }}",
        reference="{{ item.nested.x }}",
        operation="eq",
    )
    assert run(on_json, '{"x": "y"}', item).passed is True


def test_string_check_undefined_variable_is_an_error() -> None:
    grader = StringCheckGrader(name="u", input="{{ item.missing }}", reference="x", operation="eq")
    outcome = run(grader, "x", {"answer": "x"})
    assert outcome.error is not None and outcome.error.type == "TemplateProblem"
    assert "missing" in outcome.error.message
    assert outcome.score is None and outcome.passed is None


def test_string_check_spec_round_trip() -> None:
    spec = {"type": "string_check", "name": "x", "input": "a", "reference": "b", "operation": "ne"}
    grader = parse_grader(spec, where="test")
    assert isinstance(grader, StringCheckGrader)
    assert grader.to_spec() == spec
    with pytest.raises(ConfigError):
        parse_grader({**spec, "operation": "contains"}, where="test")


# -- text_similarity ---------------------------------------------------------------------------


def test_every_metric_is_covered() -> None:
    assert set(METRICS) | {"cosine"} == set(typing.get_args(Metric))


@pytest.mark.parametrize("metric", [m for m in DETERMINISTIC if m != "meteor"])
def test_identical_texts_score_one(metric: str) -> None:
    assert similarity(metric, SENTENCE, SENTENCE) == pytest.approx(1.0)


def test_meteor_keeps_its_fragmentation_penalty() -> None:
    assert similarity("meteor", SENTENCE, SENTENCE) == pytest.approx(0.99973, abs=1e-4)
    assert similarity("meteor", "dog", "dog") == pytest.approx(0.5)


@pytest.mark.parametrize("metric", DETERMINISTIC)
def test_disjoint_texts_score_low(metric: str) -> None:
    score = similarity(metric, "alpha beta gamma delta epsilon", "one two three four five")
    assert 0.0 <= score < 0.3


@pytest.mark.parametrize("metric", DETERMINISTIC)
def test_blank_texts(metric: str) -> None:
    assert similarity(metric, "", "") == 1.0
    assert similarity(metric, "  \n", "") == 1.0
    assert similarity(metric, "", SENTENCE) == 0.0
    assert similarity(metric, SENTENCE, " ") == 0.0


@pytest.mark.parametrize("metric", DETERMINISTIC)
def test_scores_stay_in_unit_interval(metric: str) -> None:
    pairs = [(SENTENCE, SENTENCE[:30]), ("a b c", "a b c d e f g"), ("!!!", "???"), ("x", SENTENCE)]
    for text, reference in pairs:
        assert 0.0 <= similarity(metric, text, reference) <= 1.0


def test_case_handling_per_metric() -> None:
    text, reference = "Hello World Again Today", "hello world again today"
    assert similarity("fuzzy_match", text, reference) == 1.0
    assert similarity("rouge_l", text, reference) == 1.0
    assert similarity("meteor", text, reference) > 0.99
    assert similarity("bleu", text, reference) < 0.5
    assert similarity("gleu", text, reference) < 0.5


def test_unicode() -> None:
    assert 0.5 < similarity("fuzzy_match", "café au lait", "cafe au lait") < 1.0
    assert similarity("bleu", "über straße", "über straße") == pytest.approx(1.0)
    assert similarity("gleu", "日本語 です", "日本語 です") == 1.0
    # rouge_score keeps only [a-z0-9] runs: a non-Latin text has no tokens (documented).
    assert similarity("rouge_1", "日本語 です", "日本語 です") == 0.0


def test_metrics_match_the_libraries() -> None:
    text = "the cat sat on the red mat today"
    reference = "the cat was sitting on the mat today"
    expected_bleu = sentence_bleu(text, [reference]).score / 100
    assert similarity("bleu", text, reference) == pytest.approx(expected_bleu)
    expected_gleu = sentence_gleu([reference.split()], text.split())
    assert similarity("gleu", text, reference) == pytest.approx(expected_gleu)
    scorer = rouge_scorer.RougeScorer(["rouge2", "rougeL"], use_stemmer=False)
    scores = scorer.score(reference, text)
    assert similarity("rouge_2", text, reference) == pytest.approx(scores["rouge2"].fmeasure)
    assert similarity("rouge_l", text, reference) == pytest.approx(scores["rougeL"].fmeasure)
    assert 0.0 < similarity("meteor", text, reference) < 1.0


def test_rouge_agrees_with_rouge_scorer() -> None:
    rng = random.Random(7)
    words = [
        "a",
        "b",
        "c",
        "d",
        "Ab",
        "CD",
        "x1",
        "9",
        "é",
        "K",
        "İ,",
        "hello.",
        "Straße",
        "ﬁ",
        "日本",
        "the",
        "cat",
    ]
    variants = ["rouge1", "rouge2", "rouge3", "rouge4", "rouge5", "rougeL"]
    scorer = rouge_scorer.RougeScorer(variants, use_stemmer=False)
    for _ in range(300):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 40)))
        reference = " ".join(rng.choice(words) for _ in range(rng.randint(1, 40)))
        expected = scorer.score(reference, text)
        for variant in variants:
            metric = "rouge_l" if variant == "rougeL" else f"rouge_{variant[-1]}"
            got = METRICS[metric](text, reference)
            assert got == pytest.approx(expected[variant].fmeasure, abs=1e-12), (variant, text)


def test_meteor_stems_but_has_no_synonyms() -> None:
    assert similarity("meteor", "cats", "cat") > 0.0
    assert similarity("meteor", "big", "large") == 0.0


def test_tokens() -> None:
    assert tokens("Don't stop, ok?") == ["Don", "'", "t", "stop", ",", "ok", "?"]


def test_threshold_is_inclusive() -> None:
    assert sim("fuzzy_match", "same", "same", threshold=1.0).passed is True
    low = sim("fuzzy_match", "alpha beta", "gamma delta", threshold=0.9)
    assert low.passed is False and low.score is not None and low.score < 0.9


def test_text_similarity_templates_and_errors() -> None:
    grader = TextSimilarityGrader(
        name="t",
        input="{{ sample.output_text }}",
        reference="{{ item.answer }}",
        pass_threshold=0.9,
        evaluation_metric="rouge_l",
    )
    assert run(grader, SENTENCE, {"answer": SENTENCE}).score == 1.0
    broken = run(grader, SENTENCE, {})
    assert broken.error is not None and broken.error.type == "TemplateProblem"


def test_cosine_needs_an_embedding_model() -> None:
    outcome = sim("cosine", "a", "b")
    assert outcome.error is not None and outcome.error.type == "NoEmbeddingModel"
    assert "embed" in outcome.error.message


def test_cosine_with_an_embedding_model() -> None:
    async def embed(texts: list[str]) -> list[list[float]]:
        return [[1.0, 0.0] if t == "x" else [1.0, 1.0] for t in texts]

    async def broken(texts: list[str]) -> list[list[float]]:
        raise RuntimeError("no model")

    grader = TextSimilarityGrader(
        name="c", input="x", reference="y", pass_threshold=0.5, evaluation_metric="cosine"
    )
    outcome = run(grader, extras={"embed": embed})
    assert outcome.score == pytest.approx(2**-0.5) and outcome.passed is True
    failed = run(grader, extras={"embed": broken})
    assert failed.error is not None and "no model" in failed.error.message


# -- python ------------------------------------------------------------------------------------


def py(source: str, threshold: float | None = None, sample: str = "hi", **env: Any) -> Any:
    grader = PythonGrader(name="p", source=source, pass_threshold=threshold)
    return run(grader, sample, {"expected": "hi"}, **env)


def test_python_happy_path_and_threshold() -> None:
    source = (
        "def grade(sample, item):\n"
        "    return 1 if sample['output_text'] == item['expected'] else 0.25\n"
    )
    outcome = py(source)
    assert outcome.error is None and outcome.score == 1.0 and outcome.passed is None
    assert py(source, threshold=0.5, sample="no").passed is False
    assert py(source, threshold=0.25, sample="no").passed is True


def test_python_prints_do_not_corrupt_the_result() -> None:
    source = (
        "import sys\n"
        "def grade(sample, item):\n"
        "    print('garbage {\"score\": 0.0}')\n"
        "    print('\\x1etutorloop-result:{\"score\": 0.0}')\n"
        "    sys.stdout.write('no newline')\n"
        "    return 0.5\n"
    )
    assert py(source).score == 0.5


@pytest.mark.parametrize(
    ("source", "kind", "words"),
    [
        ("def grade(sample, item)\n    return 1\n", "SyntaxError", "line 1"),
        ("x = 1\n", "NoGradeFunction", "grade(sample, item)"),
        ("def grade(s, i):\n    return 1 / 0\n", "GraderException", "ZeroDivisionError"),
        ("import nope_no_such_module\n", "GraderException", "ModuleNotFoundError"),
        ("def grade(s, i):\n    return 'high'\n", "InvalidScore", "not a number"),
        ("def grade(s, i):\n    return float('nan')\n", "InvalidScore", "not a finite"),
        ("def grade(s, i):\n    return float('inf')\n", "InvalidScore", "not a finite"),
        ("def grade(s, i):\n    return None\n", "InvalidScore", "NoneType"),
        ("import os\ndef grade(s, i):\n    os._exit(3)\n", "GraderCrash", "code 3"),
    ],
)
def test_python_failures(source: str, kind: str, words: str) -> None:
    outcome = py(source)
    assert outcome.error is not None, outcome
    assert outcome.error.type == kind
    assert words in outcome.error.message
    assert outcome.score is None


def test_python_exception_names_the_line() -> None:
    outcome = py("def grade(s, i):\n    x = 1\n    raise ValueError('bad item')\n")
    assert outcome.error.message == "grade() raised ValueError: bad item (line 3)"


def test_python_timeout() -> None:
    outcome = py("def grade(s, i):\n    while True:\n        pass\n", python_timeout_s=1)
    assert outcome.error is not None and outcome.error.type == "Timeout"
    assert "ran longer than 1 s" in outcome.error.message


def test_python_memory_limit() -> None:
    source = "def grade(s, i):\n    block = bytearray(2 * 1024 ** 3)\n    return 1.0\n"
    outcome = py(source, python_memory_mb=256)
    assert outcome.error is not None and outcome.error.type == "MemoryLimit"
    assert "256 MB" in outcome.error.message


def test_python_sees_no_secrets_and_runs_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-for-the-child-000000")
    source = (
        "import os\n"
        "def grade(s, i):\n"
        "    assert os.environ.get('OPENAI_API_KEY') is None\n"
        "    assert set(os.environ) <= {'PATH', 'LC_CTYPE'}, sorted(os.environ)\n"
        "    assert os.listdir('.') == []\n"
        "    return 1.0\n"
    )
    outcome = py(source)
    assert outcome.error is None, outcome.error
    assert outcome.score == 1.0


def test_python_many_items_concurrently() -> None:
    grader = PythonGrader(name="p", source="def grade(s, i):\n    return i['n'] / 10\n")
    env = GradeEnv(extras={"python_concurrency": 3})

    async def all_items() -> list[GraderOutcome]:
        return await asyncio.gather(*(grader.grade({"n": n}, Sample(), env) for n in range(10)))

    outcomes = asyncio.run(all_items())
    assert [o.score for o in outcomes] == [n / 10 for n in range(10)]
    assert [o.score for o in asyncio.run(all_items())] == [n / 10 for n in range(10)]


def test_python_spec_accepts_image_tag() -> None:
    spec = {
        "type": "python",
        "name": "p",
        "source": "def grade(s, i): return 1",
        "image_tag": "2025-05-08",
    }
    grader = parse_grader(spec, where="test")
    assert isinstance(grader, PythonGrader) and grader.to_spec() == spec


# -- multi -------------------------------------------------------------------------------------

EXACT = {
    "type": "string_check",
    "name": "exact",
    "input": "{{ sample.output_text }}",
    "reference": "{{ item.answer }}",
    "operation": "eq",
}
FUZZY = {
    "type": "text_similarity",
    "name": "fuzzy",
    "input": "{{ sample.output_text }}",
    "reference": "{{ item.answer }}",
    "pass_threshold": 0.5,
    "evaluation_metric": "fuzzy_match",
}


def multi(formula: str, threshold: float | None = None, **graders: Any) -> GraderSpec:
    spec: dict[str, Any] = {
        "type": "multi",
        "name": "m",
        "graders": graders or {"exact": EXACT, "fuzzy": FUZZY},
        "calculate_output": formula,
    }
    if threshold is not None:
        spec["pass_threshold"] = threshold
    return parse_grader(spec, where="test")


def test_multi_formula_over_two_sub_graders() -> None:
    grader = multi("0.5 * exact + 0.5 * fuzzy", threshold=0.9)
    assert isinstance(grader, MultiGrader)
    right = run(grader, "Paris", {"answer": "Paris"})
    assert right.score == 1.0 and right.passed is True
    assert right.sub_scores == {"exact": 1.0, "fuzzy": 1.0}
    close = run(grader, "paris", {"answer": "Paris"})
    assert close.score == pytest.approx(0.5) and close.passed is False
    assert close.sub_scores == {"exact": 0.0, "fuzzy": 1.0}


def test_multi_functions_and_power() -> None:
    item = {"answer": "Paris"}
    assert run(multi("fuzzy ^ 2 + min(exact, 0.5)"), "Paris", item).score == 1.5
    assert run(multi("2 ^ 3 ^ 2 * exact"), "Paris", item).score == 512.0
    assert run(multi("sqrt(max(exact, fuzzy)) * floor(2.7)"), "Paris", item).score == 2.0


@pytest.mark.parametrize(
    ("formula", "words"),
    [
        ("0.5 * exact + 0.5 * fuzy", "unknown name 'fuzy'"),
        ("exact +", "not a formula"),
        ("open(exact)", "not a supported function"),
        ("exact.real", "Attribute"),
        ("exact if fuzzy else 0", "IfExp"),
        ("'a'", "not a number"),
    ],
)
def test_multi_bad_formula_at_config_time(formula: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        multi(formula)
    assert words in caught.value.message
    assert "exact, fuzzy" in caught.value.message


def test_multi_built_directly_validates_too() -> None:
    with pytest.raises(ValidationError, match="unknown name 'b'"):
        MultiGrader(name="m", graders={"a": EXACT}, calculate_output="a + b")


def test_multi_bad_sub_grader_at_config_time() -> None:
    with pytest.raises(ConfigError, match=r"sub-grader 'b'.*unknown grader type"):
        multi("a", a=EXACT, b={"type": "nope", "name": "b"})
    nested = {"type": "multi", "name": "n", "graders": {"a": EXACT}, "calculate_output": "a"}
    with pytest.raises(ConfigError, match="cannot contain a multi"):
        multi("a", a=nested)


def test_multi_failing_sub_grader() -> None:
    broken = {**EXACT, "reference": "{{ item.missing }}"}
    outcome = run(multi("exact + fuzzy", exact=broken, fuzzy=FUZZY), "Paris", {"answer": "Paris"})
    assert outcome.error is not None and outcome.error.type == "SubGraderFailed"
    assert "'exact'" in outcome.error.message and "missing" in outcome.error.message
    assert outcome.sub_scores == {"exact": None, "fuzzy": 1.0}
    assert outcome.score is None


def test_multi_formula_error_on_an_item() -> None:
    outcome = run(multi("fuzzy / exact"), "paris", {"answer": "Paris"})
    assert outcome.error is not None and outcome.error.type == "FormulaError"
    assert "ZeroDivisionError" in outcome.error.message
    assert run(multi("log(exact)"), "x", {"answer": "Paris"}).error is not None


def test_multi_spec_round_trip() -> None:
    grader = multi("exact * fuzzy", threshold=0.5)
    spec = grader.to_spec()
    assert spec["graders"] == {"exact": EXACT, "fuzzy": FUZZY}
    again = parse_grader(spec, where="test")
    assert again.to_spec() == spec and again.version == grader.version
