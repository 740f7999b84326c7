"""Which check a registry eval's ``class`` names, and the one result shape of each sample.

The classes run here are openai/evals' basic templates and its model-graded classifier, named
by their module path (``evals.elsuite.basic.match:Match``) or by the bare class name
(``Match``). Any other class is refused with the list of those that run.
"""

from __future__ import annotations

import hashlib
import json

from tutorloop.errors import ConfigError, scrub
from tutorloop.grade.registry_evals.basic import (
    FuzzyMatch,
    Includes,
    JsonMatch,
    Match,
    SampleVerdict,
)
from tutorloop.grade.registry_evals.classify import ModelBasedClassify
from tutorloop.records import Evidence, GraderError, GraderResult, ModelGradedSpec, RegistryEval

__all__ = [
    "CLASS_PATHS",
    "IMPLEMENTATION",
    "RegistryCheck",
    "error_result",
    "modelgraded_spec_name",
    "registry_check",
    "sample_result",
]

IMPLEMENTATION = "1"
"""Bumped when a check's semantics change; part of every result's version."""

RegistryCheck = Match | Includes | FuzzyMatch | JsonMatch | ModelBasedClassify
"""The check of one registry eval class."""

CLASS_PATHS: dict[str, str] = {
    "evals.elsuite.basic.match:Match": "Match",
    "evals.elsuite.basic.includes:Includes": "Includes",
    "evals.elsuite.basic.fuzzy_match:FuzzyMatch": "FuzzyMatch",
    "evals.elsuite.basic.json_match:JsonMatch": "JsonMatch",
    "evals.elsuite.modelgraded.classify:ModelBasedClassify": "ModelBasedClassify",
}
"""Every class path that runs, to its class name (the bare names run too)."""

_BASIC: dict[str, type[Match | Includes | FuzzyMatch | JsonMatch]] = {
    "Match": Match,
    "Includes": Includes,
    "FuzzyMatch": FuzzyMatch,
    "JsonMatch": JsonMatch,
}


def _class_name(spec: RegistryEval) -> str:
    name = CLASS_PATHS.get(spec.class_path)
    if name is None and spec.class_path in CLASS_PATHS.values():
        name = spec.class_path
    if name is None:
        runnable = ", ".join(CLASS_PATHS)
        raise ConfigError(
            f"the class {spec.class_path!r} does not run here; the classes that do: {runnable} "
            "(or their bare names)",
            path=f"{spec.path}:{spec.line}" if spec.line else spec.path,
            field="class",
        )
    return name


def modelgraded_spec_name(spec: RegistryEval) -> str | None:
    """The ``modelgraded_spec`` a model-graded eval needs (None for the basic classes).

    Raises:
        ConfigError: the class does not run here, or a model-graded eval names no spec.
    """
    if _class_name(spec) != "ModelBasedClassify":
        return None
    name = spec.args.get("modelgraded_spec")
    if not isinstance(name, str) or not name:
        raise ConfigError(
            "a ModelBasedClassify eval needs args.modelgraded_spec: the name of a "
            "modelgraded/<name>.yaml spec",
            path=f"{spec.path}:{spec.line}" if spec.line else spec.path,
            field="args.modelgraded_spec",
        )
    return name


_ARGS: dict[str, frozenset[str]] = {
    "Match": frozenset({"samples_jsonl", "max_tokens", "num_few_shot", "few_shot_jsonl"}),
    "Includes": frozenset({"samples_jsonl", "max_tokens", "ignore_case"}),
    "FuzzyMatch": frozenset({"samples_jsonl", "max_tokens"}),
    "JsonMatch": frozenset({"samples_jsonl", "max_tokens"}),
    "ModelBasedClassify": frozenset({
        "samples_jsonl", "modelgraded_spec", "eval_type", "match_fn", "max_tokens",
        "multicomp_n", "multicomp_temperature", "samples_renamings", "metaeval",
    }),
}  # fmt: skip
"""The ``args`` each class takes here."""

_UNSUPPORTED: dict[str, tuple[object, str]] = {
    "num_few_shot": (0, "few-shot prompts are not built here"),
    "multicomp_n": (1, "several completions per sample are not drawn here"),
    "metaeval": (False, "meta-evaluation against labelled choices is not run here"),
}
"""Args that run only at their default value, and why."""


def _check_args(spec: RegistryEval, name: str) -> None:
    where = f"{spec.path}:{spec.line}" if spec.line else spec.path
    for key, value in spec.args.items():
        if key not in _ARGS[name]:
            takes = ", ".join(sorted(_ARGS[name]))
            raise ConfigError(
                f"{name} takes no argument '{key}' here (it takes: {takes})",
                path=where,
                field=f"args.{key}",
            )
        default = _UNSUPPORTED.get(key)
        if default is not None and value not in (default[0], None):
            raise ConfigError(
                f"{key}: {value!r} cannot run: {default[1]} (use {default[0]!r} or leave it out)",
                path=where,
                field=f"args.{key}",
            )
    renamings = spec.args.get("samples_renamings")
    if renamings is not None and not (
        isinstance(renamings, dict) and all(isinstance(v, str) for v in renamings.values())
    ):
        raise ConfigError(
            "samples_renamings must map sample fields to new names",
            path=where,
            field="args.samples_renamings",
        )


def registry_check(spec: RegistryEval, modelgraded: ModelGradedSpec | None = None) -> RegistryCheck:
    """The check of ``spec``'s class (``modelgraded`` is the spec a model-graded eval names).

    Raises:
        ConfigError: the class does not run here; a model-graded eval without its spec, or
            with an ``eval_type`` / ``match_fn`` / choices that cannot work.
    """
    name = _class_name(spec)
    where = f"{spec.path}:{spec.line}" if spec.line else spec.path
    _check_args(spec, name)
    if name == "Includes":
        return Includes(ignore_case=bool(spec.args.get("ignore_case", False)))
    if name != "ModelBasedClassify":
        return _BASIC[name]()
    spec_name = modelgraded_spec_name(spec) or ""
    if modelgraded is None:
        raise ConfigError("the model-graded spec was not given", path=where, field="args")
    eval_type = spec.args.get("eval_type")
    match_fn = spec.args.get("match_fn")
    renamings = spec.args.get("samples_renamings") or {}
    if modelgraded.multicomp_n not in (None, 1):
        raise ConfigError(
            f"spec '{spec_name}' asks for multicomp_n {modelgraded.multicomp_n}: several "
            "completions per sample are not drawn here",
            path=where,
            field="args.modelgraded_spec",
        )
    try:
        return ModelBasedClassify(
            spec_name,
            modelgraded,
            eval_type=str(eval_type) if eval_type is not None else None,
            match_fn=str(match_fn) if match_fn is not None else None,
            renamings=tuple((str(k), str(v)) for k, v in renamings.items()),
        )
    except ValueError as exc:
        raise ConfigError(f"{exc} (spec '{spec_name}')", path=where, field="args") from exc


def _version(spec: RegistryEval, check: RegistryCheck) -> str:
    parts: dict[str, object] = {"class": check.KIND, "args": spec.args}
    if isinstance(check, ModelBasedClassify):
        parts["spec"] = check.spec.model_dump(mode="json")
    blob = json.dumps(parts, sort_keys=True, default=str).encode("utf-8")
    return f"oaieval.{check.KIND}/{IMPLEMENTATION}+{hashlib.sha256(blob).hexdigest()[:10]}"


def sample_result(
    spec: RegistryEval,
    check: RegistryCheck,
    verdict: SampleVerdict,
    prompt_sha256: str | None = None,
    *,
    completion: str | None = None,
    turn: int = 0,
) -> GraderResult:
    """One sample's result.

    ``score`` is its accuracy (or the choice's score), ``label`` what matched or the judge's
    choice, ``sub_scores`` every per-sample metric, ``evidence`` the candidate's ``completion``
    (the reply the verdict rests on, as turn ``turn``: the one after the sample's messages).
    """
    evidence = []
    if completion is not None:
        evidence = [Evidence(turn=turn, start=0, end=len(completion), text=completion)]
    metrics = verdict.metrics
    score = metrics.get("accuracy", metrics.get("score", float(verdict.passed)))
    return GraderResult(
        name=spec.eval_id,
        type=f"oaieval.{check.KIND}",
        score=score,
        passed=verdict.passed,
        label=verdict.picked,
        reason=verdict.reason,
        sub_scores=dict(metrics),
        version=_version(spec, check),
        prompt_sha256=prompt_sha256,
        evidence=evidence,
    )


def error_result(
    spec: RegistryEval, check: RegistryCheck, stage: str, error: BaseException
) -> GraderResult:
    """A sample that could not be graded.

    ``reason`` names the ``stage`` that failed: ``completion`` or ``evaluation``.
    """
    return GraderResult(
        name=spec.eval_id,
        type=f"oaieval.{check.KIND}",
        reason=stage,
        error=GraderError(type=type(error).__name__, message=scrub(str(error))),
        version=_version(spec, check),
    )
