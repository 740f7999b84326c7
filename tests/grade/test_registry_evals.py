"""The registry eval classes' semantics and their final report fields."""

from __future__ import annotations

import statistics

import pytest

from tutorloop.errors import ConfigError
from tutorloop.grade import registry_check, registry_report, registry_result
from tutorloop.grade.registry_evals import (
    INVALID_CHOICE,
    FuzzyMatch,
    Includes,
    JsonMatch,
    Match,
    ModelBasedClassify,
    SampleVerdict,
    bootstrap_std,
    f1_score,
    fuzzy_match,
    get_choice,
    normalize,
)
from tutorloop.records import GraderError, GraderResult, ModelGradedSpec, RegistryEval


def spec_of(class_path: str, **args: object) -> RegistryEval:
    return RegistryEval(
        name="x", eval_id="x.s1.v0", base_eval="x", split="s1", class_path=class_path,
        args=dict(args), path="evals/x.yaml", line=3,
    )  # fmt: skip


def test_match_needs_the_completion_to_start_with_an_ideal():
    check = Match()
    assert check.check("Lima is the capital", {"ideal": "Lima"}).passed
    assert check.check("  Lima", {"ideal": "Lima"}).passed  # leading whitespace ignored
    assert not check.check("The capital is Lima", {"ideal": "Lima"}).passed
    assert not check.check("lima", {"ideal": "Lima"}).passed  # case counts
    verdict = check.check("OTTAWA!", {"ideal": ["Ottawa", "OTTAWA"]})
    assert verdict.passed and verdict.picked == "OTTAWA"
    assert verdict.metrics == {"accuracy": 1.0}


def test_includes_needs_an_ideal_anywhere_in_the_completion():
    check = Includes()
    assert check.check("The capital is Lima.", {"ideal": ["Lima"]}).passed
    assert check.check("What do you think comes first?", {"ideal": "?"}).passed
    assert not check.check("the capital is lima", {"ideal": ["Lima"]}).passed


def test_fuzzy_match_normalises_and_contains_either_way_with_f1():
    assert normalize("The  Green, light!") == "green light"
    assert fuzzy_match("It is green.", "green")  # the ideal inside the completion
    assert fuzzy_match("green", "A green colour")  # the completion inside the ideal
    assert not fuzzy_match("", "green") and fuzzy_match("the", "a")  # both empty after normalising
    verdict = FuzzyMatch().check("It's light red, or pink", {"ideal": ["pink", "light red"]})
    assert verdict.passed and verdict.picked == "pink"
    assert verdict.metrics["f1_score"] == pytest.approx(
        f1_score("It's light red, or pink", ["light red"])
    )
    assert f1_score("blue green", ["green"]) == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert f1_score("blue", ["green"]) == 0.0


def test_json_match_compares_decoded_values():
    check = JsonMatch()
    assert check.check('{"b": [1, 2], "a": 1}', {"ideal": '{"a": 1, "b": [1, 2]}'}).passed
    assert not check.check(
        '{"a": 1}', {"ideal": '{"a": 1, "b": null}'}
    ).passed  # missing never matches
    assert not check.check("[1, 2, 3]", {"ideal": "[1, 2]"}).passed
    assert check.check("[2, 1]", {"ideal": ["[1, 2]", "[2, 1]"]}).picked == "[2, 1]"
    verdict = check.check("not json", {"ideal": "1"})
    assert not verdict.passed and verdict.reason == "not JSON"
    with pytest.raises(ValueError, match="not JSON"):
        check.check("1", {"ideal": "{oops"})


def classify(**spec: object) -> ModelBasedClassify:
    fields: dict[str, object] = {
        "prompt": "Q: {input}\nRef: {ideal}\nA: {completion}",
        "choice_strings": ["Yes", "No"],
        "choice_scores": {"Yes": 1.0, "No": 0.0},
        "input_outputs": {"input": "completion"},
    }
    fields.update(spec)
    return ModelBasedClassify("s", ModelGradedSpec.model_validate(fields), eval_type="cot_classify")


def test_get_choice_reads_where_the_eval_type_says():
    choices = ["Yes", "No"]
    assert get_choice("Let me think. No wait.\nYes", "cot_classify", choices) == "Yes"
    assert get_choice("No.\nBecause yes is wrong", "classify_cot", choices) == "No"
    assert get_choice("(Yes)", "classify", choices) == "Yes"
    assert get_choice("maybe", "classify", choices) == INVALID_CHOICE
    assert get_choice("A", "classify", list("ABCDE"), "exact") == "A"


def test_classify_builds_the_judge_prompt_and_scores_the_choice():
    check = classify()
    sample = {"input": [{"role": "user", "content": "6 x 7?"}], "ideal": "42"}
    assert check.candidate_prompts(sample) == {
        "completion": [{"role": "user", "content": "6 x 7?"}]
    }
    (message,) = check.judge_messages(sample, {"completion": "It is {42}"})
    assert message["content"].startswith("Q: 6 x 7?\nRef: 42\nA: It is {42}\n\n")
    assert '"Yes" or "No"' in message["content"]  # the cot_classify instruction
    assert check.verdict("reasoning...\nYes").metrics == {"score": 1.0}
    invalid = check.verdict("I cannot say")
    assert invalid.picked == INVALID_CHOICE and invalid.metrics == {"score": 0.0}
    assert not invalid.passed
    with pytest.raises(ValueError, match="needs ideal"):
        check.judge_messages({"input": "q"}, {"completion": "a"})


def test_classify_choice_strings_from_a_string_and_scores_from_strings():
    check = classify(choice_strings="123", choice_scores="from_strings")
    assert check.choices == ["1", "2", "3"] and check.scores == {"1": 1.0, "2": 2.0, "3": 3.0}
    with pytest.raises(ValueError, match="punctuation"):
        classify(choice_strings=["Y!", "N"])


def test_an_unknown_class_is_refused_with_the_runnable_ones():
    with pytest.raises(ConfigError) as caught:
        registry_check(spec_of("evals.elsuite.custom:Mine"))
    assert (
        caught.value.field == "class" and "evals.elsuite.basic.match:Match" in caught.value.message
    )
    assert (caught.value.path or "").endswith("x.yaml:3")
    assert isinstance(registry_check(spec_of("Includes")), Includes)
    with pytest.raises(ConfigError) as no_spec:
        registry_check(spec_of("evals.elsuite.modelgraded.classify:ModelBasedClassify"))
    assert no_spec.value.field == "args.modelgraded_spec"


def results(check, passes: list[bool], **extra: float) -> list[GraderResult]:
    spec = spec_of("Match")
    return [
        registry_result(spec, check, SampleVerdict(p, None, {"accuracy": float(p), **extra}))
        for p in passes
    ]


def test_match_report_has_accuracy_and_a_seeded_bootstrap_std():
    passes = [True, False, True, True, False, True, True, False]
    report = registry_report(Match(), results(Match(), passes), seed=7)
    assert set(report) == {"accuracy", "boostrap_std"}
    assert report["accuracy"] == pytest.approx(5 / 8)
    again = registry_report(Match(), results(Match(), passes), seed=7)
    assert report["boostrap_std"] == again["boostrap_std"] and 0 < report["boostrap_std"] < 0.5
    assert bootstrap_std([1.0, 1.0, 1.0, 1.0], seed=1) == 0.0
    assert bootstrap_std([1.0], seed=1) is None  # a half of one sample is empty
    assert statistics.fmean([1.0, 0.0]) == 0.5


def test_other_reports_use_their_class_fields():
    assert set(registry_report(Includes(), results(Includes(), [True]), seed=1)) == {"accuracy"}
    fuzzy = registry_report(
        FuzzyMatch(), results(FuzzyMatch(), [True, False], f1_score=0.5), seed=1
    )
    assert fuzzy == {"accuracy": 0.5, "f1_score": 0.5}
    bad = GraderError(type="ProviderRequestError", message="bad")
    errored = GraderResult(name="x", type="t", reason="completion", error=bad)
    assert registry_report(JsonMatch(), [errored], seed=1) == {"accuracy": None}


def test_classify_report_counts_choices_and_invalid_requests():
    check = classify()
    spec = spec_of("ModelBasedClassify")
    made = [registry_result(spec, check, check.verdict(r)) for r in ("x\nYes", "x\nNo", "??")]
    bad = GraderError(type="ProviderRequestError", message="400")
    refused = GraderResult(name="x", type="t", reason="evaluation", error=bad)
    report = registry_report(check, [*made, refused], seed=1)
    assert report == {
        "invalid_request_during_completion": 0,
        "invalid_request_during_evaluation": 1,
        "score/choice": pytest.approx(1 / 3),
        "counts/choice/No": 1,
        "counts/choice/Yes": 1,
        f"counts/choice/{INVALID_CHOICE}": 1,
    }


def test_args_a_class_does_not_take_or_cannot_run_are_refused():
    with pytest.raises(ConfigError) as unknown:
        registry_check(spec_of("Match", samples_jsonl="s.jsonl", temperature=1))
    assert unknown.value.field == "args.temperature" and "it takes:" in unknown.value.message
    with pytest.raises(ConfigError) as few_shot:
        registry_check(spec_of("Match", samples_jsonl="s.jsonl", num_few_shot=3))
    assert few_shot.value.field == "args.num_few_shot"
    assert isinstance(registry_check(spec_of("Match", num_few_shot=0)), Match)


def test_includes_ignore_case_and_classify_renamings():
    check = registry_check(spec_of("Includes", ignore_case=True))
    assert isinstance(check, Includes) and check.check("it is LIMA", {"ideal": "Lima"}).passed
    spec = ModelGradedSpec(prompt="{question} / {answer}", choice_strings=["A"],
                           input_outputs={"question": "answer"})  # fmt: skip
    renamed = ModelBasedClassify("s", spec, renamings=(("input", "question"),))
    assert renamed.candidate_prompts({"input": "hi"}) == {
        "answer": [{"role": "user", "content": "hi"}]
    }
    assert renamed.judge_messages({"input": "hi"}, {"answer": "yo"})[0]["content"] == "hi / yo"
