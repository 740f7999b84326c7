"""Evals of a registry folder in the openai/evals layout, and the final report of a run of one.

An openai/evals registry names an eval twice: an alias (``test-match``) whose ``id`` points at a
versioned entry (``test-match.s1.simple-v0``, read ``<base>.<split>.<version>``) that names the
eval ``class`` and its ``args`` (``samples_jsonl``, and for model-graded evals the
``modelgraded_spec`` name). :class:`RegistryEval` is one alias resolved to its entry;
:class:`ModelGradedSpec` is one ``modelgraded/*.yaml`` spec; :class:`OaiEvalReport` is what a
run of a registry eval reports (``final_report`` with oaieval's field names).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tutorloop.records._base import VersionedRecord

__all__ = ["ModelGradedSpec", "OaiEvalReport", "RegistryEval"]


class RegistryEval(BaseModel):
    """One eval of a registry, its alias resolved to the entry that names the class."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """The name it was asked for (an alias such as ``test-match``, or a full id)."""
    eval_id: str
    """The resolved entry, e.g. ``test-match.s1.simple-v0``."""
    base_eval: str
    """The part before the first dot (``test-match``): the prefix of every sample id."""
    split: str
    """The part after it (``s1``), or ``""`` when the id has no dots."""
    class_path: str
    """The eval class as written, e.g. ``evals.elsuite.basic.match:Match``."""
    args: dict[str, Any] = Field(default_factory=dict)
    """The entry's ``args`` (``samples_jsonl``, ``modelgraded_spec``, ``eval_type``, ...)."""
    metrics: list[str] = Field(default_factory=list)
    """The alias's ``metrics`` (informational, as in openai/evals)."""
    description: str | None = None
    path: str
    """The YAML file of the entry that names the class."""
    line: int | None = None
    """The entry's line in that file."""

    @property
    def class_name(self) -> str:
        """The class's own name: ``Match`` for ``evals.elsuite.basic.match:Match``."""
        return self.class_path.rsplit(":", 1)[-1].rsplit(".", 1)[-1]


class ModelGradedSpec(BaseModel):
    """A ``modelgraded/<name>.yaml`` spec: how a judge model classifies a completion."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str | list[dict[str, str]]
    """The judge's prompt (a string or chat messages) with ``{field}`` placeholders filled from
    the sample and the completions."""
    choice_strings: list[str] | str
    """The judge's choices, or ``from_n`` / ``from_n_abc`` / ``from_n_ABC``."""
    input_outputs: dict[str, str]
    """Sample field whose prompt the candidate answers → the placeholder of its completion."""
    eval_type: str | None = None
    """``classify``, ``classify_cot`` or ``cot_classify``: where the judge's choice is read."""
    choice_scores: dict[str, float] | str | None = None
    """A score per choice, or ``from_strings`` (each choice read as a number)."""
    match_fn: str = "starts_or_endswith"
    """How a line of the judge's reply matches a choice (``starts_or_endswith``, ``include``,
    ``exact``, ``endswith``)."""
    append_answer_prompt: bool = False
    """Append the answer instruction for ``eval_type`` to the prompt."""
    append_type: str = "as_content"
    args: dict[str, Any] | None = None
    format_type: str = "in_message"
    multicomp_n: int | None = None
    completion_sample_templates: dict[str, str] | None = None
    output_template: str | None = None
    key: str | None = None
    group: str | None = None


class OaiEvalReport(VersionedRecord):
    """The outcome of one run of a registry eval: oaieval's final report and the counts."""

    SCHEMA_VERSION = 1

    run_id: str
    eval_name: str
    """The resolved id (``test-match.s1.simple-v0``)."""
    class_name: str
    model: str
    """The candidate model as given."""
    judge_model: str | None = None
    final_report: dict[str, float | int | None]
    """oaieval's final report keys for the class (``accuracy``, ``boostrap_std``, ...)."""
    samples: int = 0
    """Samples graded (resumed ones included)."""
    errored: int = 0
    """Samples whose completion or grading failed."""
